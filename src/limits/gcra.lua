-- GCRA for one tenant and (optionally) the org, decided atomically.
-- KEYS[1]: the tenant's TAT key; KEYS[2]: the org's TAT key.
-- ARGV[1], ARGV[2]: tenant emission interval (microseconds) and burst;
-- ARGV[3], ARGV[4]: the org's, or 0 and 0 for no org limit.
-- Returns {1, 0} when admitted (both TATs advanced), else {0, wait_us}:
-- nothing is consumed on refusal, so a request the org refuses costs the
-- tenant nothing. Time is Redis's own clock, so replicas need no clock sync.
redis.replicate_commands()
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])

-- The new TAT if one more request is admitted, and how long until it fits
-- (<= 0: it fits now).
local function probe(key, interval, burst)
  local tat = now
  local stored = redis.call('GET', key)
  if stored then
    tat = math.max(tonumber(stored) or now, now)
  end
  local new_tat = tat + interval
  return new_tat, new_tat - interval * burst - now
end

local t_interval, t_burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local o_interval, o_burst = tonumber(ARGV[3]), tonumber(ARGV[4])
local t_tat, t_wait = probe(KEYS[1], t_interval, t_burst)
local o_tat, o_wait = nil, 0
if o_interval > 0 then
  o_tat, o_wait = probe(KEYS[2], o_interval, o_burst)
end
if t_wait > 0 or o_wait > 0 then
  return {0, math.max(t_wait, o_wait)}
end
-- The key lives as long as its TAT is in the future: an idle tenant's key
-- expires, which is the same as a full burst.
local function store(key, tat)
  redis.call('SET', key, string.format('%d', tat), 'PX', math.floor((tat - now) / 1000) + 1)
end
store(KEYS[1], t_tat)
if o_tat then
  store(KEYS[2], o_tat)
end
return {1, 0}
