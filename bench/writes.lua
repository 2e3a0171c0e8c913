-- Only the writes of the mixed workload, in its proportions: 50% create,
-- 25% update (PUT title), 25% toggle (PATCH .../complete). For profiling.
package.path = (os.getenv("BENCH_LUA_DIR") or ".") .. "/?.lua;" .. package.path
require("common")

local counter = 0

function init(args)
   seed_random()
end

function request()
   local user = users[math.random(#users)]
   local roll = math.random(100)
   counter = counter + 1
   if roll <= 50 then
      local body = string.format(
         '{"title":"Bench task %d-%d","description":"made under load"}', thread_number, counter
      )
      return wrk.format("POST", "/api/tasks", headers_for(user, true), body)
   end
   local id = pick_task(user)
   if roll <= 75 then
      local body = string.format('{"title":"Renamed %d-%d"}', thread_number, counter)
      return wrk.format("PUT", "/api/tasks/" .. id, headers_for(user, true), body)
   end
   return wrk.format("PATCH", "/api/tasks/" .. id .. "/complete", headers_for(user, false))
end
