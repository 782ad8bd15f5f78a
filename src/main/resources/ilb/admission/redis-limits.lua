-- Tenants' limits shared by every ilb replica (ilb.admission.RedisLimits), in one atomic call: a tenant's request
-- and token buckets with MinuteBucket's arithmetic, the places its requests hold, counted per replica so that a
-- replica that dies gives its places back, and the replicas alive. Numbers cross as strings ('%.17g' doubles:
-- exact both ways).
--
-- KEYS[1] = ilb:replicas (replica id -> when last heard of, ms). ARGV[1] = what to do, ARGV[2] = now in ms ('' for
-- Redis' own clock, so that replicas' clocks do not matter), ARGV[3] = this replica's id.
--
-- acquire: KEYS[2..4] = ilb:limits:<tenant>:requests, :tokens (hashes: level, stamp), :inflight (replica id ->
--   places held); ARGV[4..7] = requests a minute, tokens a minute, places (0: no such limit), the request's tokens.
--   Returns {1 admitted | 0, the limit exceeded or '', requests level or '', tokens level or '', replicas}.
-- settle: the same keys; ARGV[4..6] = tokens a minute, the token correction, places; ARGV[7..8] = requests a minute,
--   '1' to give the request back (ilb answered it without a backend). Returns replicas.
-- beat: KEYS[2..] = tenants' :inflight; ARGV[4] = '1' to set this replica's places in each to ARGV[5..] (its own
--   count, exact), else only keep them from expiring. Returns replicas.
--
-- Reads and checks come before a tenant's writes: a script that fails (a key of another type) changes nothing.

local MINUTE = 60000
local REPLICA_TIMEOUT = 30000 -- a replica beats every 10 s; silent this long, it is gone and its places free
local PLACES_TTL = 60000 -- refreshed by every call and by the beats of replicas holding places

local now = tonumber(ARGV[2])
if not now then
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
local replicas, replica = KEYS[1], ARGV[3]

local function str(x)
  return string.format('%.17g', x)
end

redis.call('ZADD', replicas, str(now), replica)
redis.call('ZREMRANGEBYSCORE', replicas, '-inf', '(' .. str(now - REPLICA_TIMEOUT))
redis.call('PEXPIRE', replicas, 2 * REPLICA_TIMEOUT)
local alive = redis.call('ZCARD', replicas)

-- MinuteBucket.at: full at first (a missing bucket is a full one), refilled since its stamp, at most the limit
local function bucket(key, limit)
  local saved = redis.call('HMGET', key, 'level', 'stamp')
  if not saved[1] then
    return limit, now
  end
  local level, stamp = tonumber(saved[1]), tonumber(saved[2])
  return math.min(limit, level + math.max(0, now - stamp) * limit / MINUTE), math.max(stamp, now)
end

local function save(key, limit, level, stamp)
  redis.call('HSET', key, 'level', str(level), 'stamp', str(stamp))
  -- gone a minute after it would be full again: an idle tenant costs nothing
  redis.call('PEXPIRE', key, str(math.ceil((limit - level) * MINUTE / limit) + MINUTE))
end

-- MinuteBucket.allows
local function allows(level, limit, amount)
  return level >= math.max(math.min(amount, limit), 1e-9)
end

-- the places the tenant's requests hold on replicas alive; a gone replica's are given back
local function held(key)
  local fields = redis.call('HGETALL', key)
  local sum = 0
  for i = 1, #fields, 2 do
    if redis.call('ZSCORE', replicas, fields[i]) then
      sum = sum + tonumber(fields[i + 1])
    else
      redis.call('HDEL', key, fields[i])
    end
  end
  return sum
end

local mode = ARGV[1]
if mode == 'acquire' then
  local requestLimit, tokenLimit, places, tokens = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]),
      tonumber(ARGV[7])
  local requests, requestStamp, level, tokenStamp
  if requestLimit > 0 then
    requests, requestStamp = bucket(KEYS[2], requestLimit)
  end
  if tokenLimit > 0 then
    level, tokenStamp = bucket(KEYS[3], tokenLimit)
  end
  local exceeded = ''
  if requests and not allows(requests, requestLimit, 1) then
    exceeded = 'requests'
  elseif level and not allows(level, tokenLimit, tokens) then
    exceeded = 'tokens'
  elseif places > 0 and held(KEYS[4]) >= places then
    exceeded = 'concurrency'
  end
  if exceeded == '' then
    if requests then
      requests = math.min(requestLimit, requests - 1)
    end
    if level then
      level = math.min(tokenLimit, level - tokens)
    end
    if places > 0 then
      redis.call('HINCRBY', KEYS[4], replica, 1)
      redis.call('PEXPIRE', KEYS[4], PLACES_TTL)
    end
  end
  if requests then
    save(KEYS[2], requestLimit, requests, requestStamp)
  end
  if level then
    save(KEYS[3], tokenLimit, level, tokenStamp)
  end
  return {exceeded == '' and 1 or 0, exceeded, requests and str(requests) or '', level and str(level) or '', alive}
elseif mode == 'settle' then
  local tokenLimit, correction, places = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
  local requestLimit, requestBack = tonumber(ARGV[7]), ARGV[8] == '1'
  local level, stamp, requests, requestsStamp
  if tokenLimit > 0 then
    level, stamp = bucket(KEYS[3], tokenLimit)
  end
  if requestBack and requestLimit > 0 then
    requests, requestsStamp = bucket(KEYS[2], requestLimit)
  end
  -- the places this replica still holds (none when it was taken for gone meanwhile)
  local mine = places > 0 and tonumber(redis.call('HGET', KEYS[4], replica) or '0') or 0
  if level then
    save(KEYS[3], tokenLimit, math.min(tokenLimit, level - correction), stamp)
  end
  if requests then
    save(KEYS[2], requestLimit, math.min(requestLimit, requests + 1), requestsStamp)
  end
  if mine > 0 then
    if redis.call('HINCRBY', KEYS[4], replica, -1) == 0 then
      redis.call('HDEL', KEYS[4], replica)
    end
  end
  return alive
elseif mode == 'beat' then
  for i = 2, #KEYS do
    if ARGV[4] == '1' then
      local count = tonumber(ARGV[i + 3])
      if count > 0 then
        redis.call('HSET', KEYS[i], replica, count)
      else
        redis.call('HDEL', KEYS[i], replica)
      end
    end
    redis.call('PEXPIRE', KEYS[i], PLACES_TTL)
  end
  return alive
end
return redis.error_reply('ilb limits: unknown call ' .. tostring(mode))
