/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A service's gate in the config (issue 11): its circuit breaker, what a
 * request the gate stops is answered with, and the fallback reply.
 *
 *   services:
 *     - name: api
 *       port: 80
 *       breaker: {window: 10s, failure_rate: 0.5, failures: [5xx, timeout]}
 *       on_open: fallback                    # 503 (default) | fallback | reset
 *       fallback: {status: 200, body: '{"status":"degraded","data":[]}'}
 *
 * `breaker: {}` or `breaker: on` is a breaker with every default
 * (common/breaker.h: breaker_cfg_default); no `breaker` is none.
 */
#ifndef SLUICE_CONFIG_GATE_H
#define SLUICE_CONFIG_GATE_H

#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

#include "common/names.h"

struct cfg_walk;
struct cfg_service;

/* 503|fallback|reset, by enum cfg_on_open. */
extern const struct sl_names cfg_on_open_names;

/* cfg_key parsers of a service's keys; obj is the struct cfg_service. */
int cfg_parse_breaker(struct cfg_walk *w, yaml_node_t *v, void *obj);
int cfg_parse_on_open(struct cfg_walk *w, yaml_node_t *v, void *obj);
int cfg_parse_service_fallback(struct cfg_walk *w, yaml_node_t *v, void *obj);

/* After service `s` (mapping `n`) is parsed: none of it on a TLS
 * service, the breaker's cross-key rules, on_open fallback with a
 * fallback (and a fallback only then), and the gate's reply renders in
 * one segment. */
int cfg_check_gate(struct cfg_walk *w, yaml_node_t *n,
		   const struct cfg_service *s);

/* "5xx no_response timeout": a failure mask as the config writes it. */
char *cfg_failures_format(uint32_t mask, char *buf, size_t size);

#endif /* SLUICE_CONFIG_GATE_H */
