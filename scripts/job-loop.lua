-- wrk script for scripts/closed-loop: each connection submits a distinct tiny range (POST
-- /sumPrime), then long-polls that job to its end (GET /sumPrime/ID?wait=30), and again. A job
-- counts once its long-poll answered 200 with a sum; every 500th sum is checked by trial
-- division here (a check of each would hold the connection longer than the job); `done`
-- prints jobs/s, wrong sums and errors.
local counter = 0
local threads = {}

function setup(thread)
  thread:set("id", counter)
  table.insert(threads, thread)
  counter = counter + 1
end

-- The sum of the primes in [a, b) by trial division: the ranges are 1,000 wide.
local function isPrime(n)
  if n < 2 then return false end
  if n % 2 == 0 then return n == 2 end
  local d = 3
  while d * d <= n do
    if n % d == 0 then return false end
    d = d + 2
  end
  return true
end

local function primeSum(a, b)
  local total = 0
  for n = a, b - 1 do
    if isPrime(n) then total = total + n end
  end
  return total
end

function init(args)
  pending = nil
  jobs, wrong, errors, next = 0, 0, 0, 0
  -- Each thread its own stretch of ranges, each run its own (the seed), so no range is a
  -- known result.
  base = 1000000 + (tonumber(args[1]) or 0) * 200000000 + id * 50000000
end

function request()
  if pending then
    return wrk.format("GET", "/sumPrime/" .. pending .. "?wait=30")
  end
  next = next + 1
  local a = base + next * 1000
  current = { a = a, b = a + 1000 }
  local body = string.format('{"a":"%d","b":"%d"}', current.a, current.b)
  return wrk.format("POST", "/sumPrime", { ["Content-Type"] = "application/json" }, body)
end

function response(status, headers, body)
  if pending then
    pending = nil
    local sum = body:match('"sum"%s*:%s*"(%d+)"')
    if status ~= 200 or not sum then
      errors = errors + 1
    else
      jobs = jobs + 1
      if jobs % 500 == 0 and tonumber(sum) ~= primeSum(current.a, current.b) then wrong = wrong + 1 end
    end
    return
  end
  local id = body:match('"_id"%s*:%s*"([%w%-]+)"')
  if (status == 202 or status == 200) and id then pending = id else errors = errors + 1 end
end

function done(summary, latency, requests)
  local jobs, wrong, errors = 0, 0, 0
  for _, thread in ipairs(threads) do
    jobs = jobs + thread:get("jobs")
    wrong = wrong + thread:get("wrong")
    errors = errors + thread:get("errors")
  end
  local seconds = summary.duration / 1e6
  io.write(string.format("jobs %d in %.1f s: %.0f jobs/s; wrong sums %d; errors %d; request p50 %.2f ms, p99 %.2f ms\n",
    jobs, seconds, jobs / seconds, wrong, errors, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
