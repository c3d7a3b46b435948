/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The control protocol between sluicectl and sluiced: JSON lines over a
 * unix stream socket (default /run/sluice/sluiced.sock, mode 0600).
 * One request line, one response line, then the server closes.
 *
 * Request:  {"v":1,"cmd":"<name>", ...arguments}
 * Response: {"v":1,"ok":true,"data":{...}}
 *       or  {"v":1,"ok":false,"error":"what went wrong"}
 * A request with another "v" gets ok:false and the server's version, so
 * a newer sluicectl talking to an older daemon fails with a clear error.
 *
 * Commands and their data:
 *   status   -> {"version":"0.1.0","abi":1,"pid":N,"uptime_s":N,
 *                "mode":"enforce"|"shadow","config":{"path":S,"hash":"%016llx",
 *                "loaded_at":UNIX_S},"interfaces":[{"name":S,"ifindex":N,
 *                "attach":"native"|"generic","prog_id":N,"link_id":N}],
 *                "client_table":{"size":N}}
 *   tiers    -> {"tiers":[{"id":N,"name":S,"verdict":"limit"|"pass"|"drop",
 *                "limits":[{"unit":S,"rate":S,"burst":N,"action":S,
 *                "reply":N (action http: the status it answers with)}],
 *                "counters":{"<reason>":{"packets":N,"bytes":N},...},
 *                "rates":{"<reason>":{"pps":F,"bps":F},...}}]}
 *                (reason, unit, action, verdict and mode names: common/names.h; rates over the last
 *                sampling second; the row named "(none)" holds non-IP and
 *                malformed packets)
 *   client   {"addr":"198.18.0.5"} ->
 *               {"addr":S,"tier":S,"tier_id":N,"key":"198.18.0.5/32",
 *                "known":true|false,"meters":[{"unit":S,"rate":S,"burst":N,
 *                "tokens":N,"next_token_ms":F}]}
 *   reload   -> {"changed":true|false,"summary":[S,...]}   (or ok:false, why)
 *   mode     {"mode":"enforce"|"shadow"} -> {"mode":S}
 *   detach   -> {"detached":[ifname,...]}   (the daemon then exits)
 *   services {"name":S} (optional: that service alone; ok:false when the
 *               running config has none of that name) ->
 *               {"window_s":F,"interfaces":[ifname,...],"services":[{
 *                "name":S,"id":N,"port":N,"addresses":[S],"paths":[S],
 *                "default":B,"tls":B,"priority":S,"slow_ms":N,"timeout_ms":N,
 *                "pending":N,"failure_run":N,
 *                "counters":{"requests":N,"edge_replies":N,"responses":{
 *                "other"|"1xx".."5xx"|"429"|"500"|"502"|"503"|"504":N},
 *                "slow":N,"no_response":N,"timeouts":N,"latency_count":N,
 *                "latency_sum_ns":N},
 *                "histogram":[{"le":SECONDS|"+Inf","count":N}] (per bucket),
 *                "window":{"span_s":F,"requests_per_s":F,"responses_per_s":F,
 *                "codes_per_s":{code:F},"slow_per_s":F,"no_response_per_s":F,
 *                "timeouts_per_s":F,"error_ratio":F,"slow_ratio":F,
 *                "p50_ms":F|null,"p90_ms":F|null,"p99_ms":F|null}}]}
 *                (counters exact, summed over CPUs and interfaces; the
 *                window the last 10 s of once-a-second readings)
 */
#ifndef SLUICE_PROTO_H
#define SLUICE_PROTO_H

#define SL_PROTO_VERSION	1
#define SL_CONTROL_SOCKET	"/run/sluice/sluiced.sock"
#define SL_PIN_ROOT		"/sys/fs/bpf/sluice"

#endif /* SLUICE_PROTO_H */
