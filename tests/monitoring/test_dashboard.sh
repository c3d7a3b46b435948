#!/bin/bash
# The Grafana dashboard: importable, and every PromQL expression in it
# parses and selects families sluiced exports (tools/monitoring/check-dashboard.sh).
exec "$(dirname "$0")/../../tools/monitoring/check-dashboard.sh" "$@"
