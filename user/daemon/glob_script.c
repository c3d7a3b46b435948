// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The Lua script that keeps the global limits' state in Redis: one
 * EVALSHA per chunk of up to GLOB_CHUNK clients of one host (interface).
 * It is user/common/glob.c run where the state is, on Redis' one clock
 * (TIME, allowed in scripts since Redis 5 with effects replication, the
 * default in 7): every block below names its C twin, and the two must
 * be changed together (tests/unit/test_glob.c pins the C side, the
 * netns test tests/netns/test_redis_sync.sh the pair).
 *
 * KEYS[1]        <prefix>hosts: sorted set host id -> last seen (us)
 * KEYS[2..n+1]   <prefix>gl:<tier name>:<client key>, one hash each:
 *                  a, b[, c]   token bucket: tokens, last refill (us);
 *                              windows: start (us), cur, prev
 *                  h:<host>    "<demand rate/s> <last report us>"
 * ARGV[1..4]     host id, the clients' minimum ttl (ms), the sync
 *                interval (us), how long a host stays in hosts (ms)
 * ARGV[5..]      6 a client: used and demand since the host's last
 *                report, rate (units/s), burst, window (us), algorithm
 *                (0 token bucket, 1 sliding, 2 fixed window)
 *
 * Returns the hosts in hosts, then 4 integers a client: allowance in
 * thousandths of a unit, tokens or the window estimate in thousandths,
 * this host's share in millionths, the hosts that share the client.
 *
 * Bounds: a client's hash holds 3 state fields and one field per host
 * that reported it within GLOB_STALE_US (a stale host's field is
 * deleted by the next report of anyone), at most ~40 bytes each plus
 * the host id; the key expires after max(ttl, 2 x window, 2 x burst /
 * rate).  A client costs 3 commands inside the script (HGETALL, one
 * HSET, PEXPIRE; HDEL when a host went stale), a chunk 5 more.
 */
#include "daemon/glob_sync.h"

const char glob_script_lua[] =
"local US, TAU, STALE = 1000000, 1000000, 3000000\n"	/* glob.h's GLOB_* */
"local t = redis.call('TIME')\n"
"local now = tonumber(t[1]) * US + tonumber(t[2])\n"
"local host, ttl = ARGV[1], tonumber(ARGV[2])\n"
"local interval, keep = tonumber(ARGV[3]), tonumber(ARGV[4])\n"
"local hk = 'h:' .. host\n"
"local function us(x) return string.format('%.0f', x) end\n"
"redis.call('ZADD', KEYS[1], us(now), host)\n"
"redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. us(now - keep * 1000))\n"
"redis.call('PEXPIRE', KEYS[1], keep)\n"
"local out = { redis.call('ZCARD', KEYS[1]) }\n"
"for i = 2, #KEYS do\n"
"  local k, a = KEYS[i], 4 + (i - 2) * 6\n"
"  local used, demand = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])\n"
"  local rate, burst = tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4])\n"
"  local win, alg = tonumber(ARGV[a + 5]), tonumber(ARGV[a + 6])\n"
"  local f, st, stale = redis.call('HGETALL', k), {}, {}\n"
"  local mrate, mseen, others, nh = nil, 0, 0, 1\n"
	/* glob_share's walk: this host's entry, the fresh others, the stale */
"  for j = 1, #f, 2 do\n"
"    local name, v = f[j], f[j + 1]\n"
"    if string.sub(name, 1, 2) == 'h:' then\n"
"      local r, s = string.match(v, '^(%S+) (%S+)$')\n"
"      r, s = tonumber(r) or 0, tonumber(s) or 0\n"
"      if name == hk then mrate, mseen = r, s\n"
"      elseif now < s + STALE then others, nh = others + math.max(r, 0), nh + 1\n"
"      else stale[#stale + 1] = name end\n"
"    else st[name] = tonumber(v) end\n"
"  end\n"
	/* glob_demand_report */
"  local r\n"
"  if not mrate or mseen == 0 then r = demand * US / interval\n"
"  else\n"
"    local dt = now - mseen\n"
"    if dt <= 0 then dt = interval end\n"
"    r = mrate + (demand * US / dt - mrate) * math.min(dt / TAU, 1)\n"
"  end\n"
	/* glob_share: no demand anywhere is equal parts */
"  local mine, share = math.max(r, 0)\n"
"  if mine + others <= 0 then share = 1 / nh else share = mine / (mine + others) end\n"
"  local allow, state, hv = nil, nil, tostring(r) .. ' ' .. us(now)\n"
"  if alg == 0 then\n"
	/* glob_tb_update, then glob_tb_allowance */
"    local tok, ts = st.a, st.b\n"
"    if not ts or not tok then tok, ts = burst, now\n"
"    elseif now > ts then tok, ts = math.min(burst, tok + rate * (now - ts) / US), now end\n"
"    tok = math.max(tok - used, -burst)\n"
"    allow, state = share * (math.max(tok, 0) + rate * interval / US), tok\n"
"    redis.call('HSET', k, 'a', tostring(tok), 'b', us(ts), hk, hv)\n"
"  else\n"
	/* glob_win_update, glob_win_estimate, glob_win_allowance */
"    local start = math.floor(now / win) * win\n"
"    local ws, cur, prev = st.a, st.b or 0, st.c or 0\n"
"    if not ws then cur, prev = 0, 0\n"
"    elseif start > ws then\n"
"      if start == ws + win then prev = cur else prev = 0 end\n"
"      cur = 0\n"
"    else start = ws end\n"
"    cur = cur + used\n"
"    local est = cur\n"
"    if alg == 1 then\n"
"      est = prev * (1 - math.min(math.max(now - start, 0), win) / win) + cur\n"
"    end\n"
"    allow, state = share * math.max(0, rate * win / US - est), est\n"
"    redis.call('HSET', k, 'a', us(start), 'b', tostring(cur), 'c', tostring(prev), hk, hv)\n"
"  end\n"

"  if #stale > 0 then redis.call('HDEL', k, unpack(stale)) end\n"
"  local kttl = math.max(ttl, 2 * win / 1000)\n"
"  if rate > 0 then kttl = math.max(kttl, 2000 * burst / rate) end\n"
"  redis.call('PEXPIRE', k, math.ceil(kttl))\n"
"  out[#out + 1] = math.floor(allow * 1000)\n"
"  out[#out + 1] = math.floor(state * 1000)\n"
"  out[#out + 1] = math.floor(share * 1000000)\n"
"  out[#out + 1] = nh\n"
"end\n"
"return out\n";
