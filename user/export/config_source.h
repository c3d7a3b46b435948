/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The config source's families (daemon/config_source.h), while the
 * config file has config_source:
 *   sluice_config_source_up			1 while subscribed and Redis answers
 *   sluice_config_source_errors_total{kind}	connect|auth|timeout|io|reply
 *						(both connections), invalid
 *						(versions refused), cache
 *   sluice_config_source_loads_total		versions from Redis applied
 *   sluice_config_source_info{source,hash}	1: where the running config
 *						came from (file|redis|cache)
 *   sluice_config_source_last_load_timestamp_seconds
 */
#ifndef SLUICE_EXPORT_CONFIG_SOURCE_H
#define SLUICE_EXPORT_CONFIG_SOURCE_H

struct render;
struct sl_daemon;

/* Nothing without a config source. */
void render_config_source(struct render *r, struct sl_daemon *d);

#endif /* SLUICE_EXPORT_CONFIG_SOURCE_H */
