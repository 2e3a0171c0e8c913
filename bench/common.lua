-- Shared by the scenario scripts: loads the users, tokens and task ids that
-- seed.py wrote (one line per user: "<token> <id> <id> ..."), precomputes the
-- read requests, and reports the figures in one line bench/run parses.

local data_path = os.getenv("BENCH_DATA") or "users.txt"

users = {}
for line in io.lines(data_path) do
   local fields = {}
   for field in line:gmatch("%S+") do
      fields[#fields + 1] = field
   end
   local ids = {}
   for i = 2, #fields do
      ids[#ids + 1] = fields[i]
   end
   users[#users + 1] = { auth = "Bearer " .. fields[1], ids = ids }
end
if #users == 0 then
   error("no users in " .. data_path .. ": run the seed step first")
end

local thread_count = 0

function setup(thread)
   thread_count = thread_count + 1
   thread:set("thread_number", thread_count)
end

function seed_random()
   -- Each thread has its own Lua state: give each its own sequence.
   math.randomseed(os.time() * 100 + (thread_number or 0))
   for _ = 1, 10 do
      math.random()
   end
end

function headers_for(user, with_body)
   local headers = { ["Authorization"] = user.auth, ["Accept"] = "application/json" }
   if with_body then
      headers["Content-Type"] = "application/json"
   end
   return headers
end

function pick_user()
   return users[math.random(#users)]
end

function pick_task(user)
   return user.ids[math.random(#user.ids)]
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "BENCH requests=%d duration_us=%d bytes=%d status_errors=%d connect=%d read=%d "
         .. "write=%d timeout=%d p50_us=%d p95_us=%d p99_us=%d max_us=%d mean_us=%.0f\n",
      summary.requests, summary.duration, summary.bytes, e.status, e.connect, e.read, e.write,
      e.timeout,
      latency:percentile(50), latency:percentile(95), latency:percentile(99),
      latency.max, latency.mean
   ))
end
