-- The mixed workload, each request for a random seeded user and that user's own
-- tasks: 80% list, 10% create, 5% update (PUT title), 5% toggle (PATCH .../complete).
-- The update is a PUT with the title alone: the API's PUT is partial, like its
-- PATCH, and PUT is what the seed design's API (bench/run --servers seed) has.
package.path = (os.getenv("BENCH_LUA_DIR") or ".") .. "/?.lua;" .. package.path
require("common")

local lists = {}
local counter = 0

function init(args)
   seed_random()
   for i, user in ipairs(users) do
      lists[i] = wrk.format("GET", "/api/tasks", headers_for(user, false))
   end
end

function request()
   local n = math.random(#users)
   local roll = math.random(100)
   if roll <= 80 then
      return lists[n]
   end
   local user = users[n]
   counter = counter + 1
   if roll <= 90 then
      local body = string.format(
         '{"title":"Bench task %d-%d","description":"made under load"}', thread_number, counter
      )
      return wrk.format("POST", "/api/tasks", headers_for(user, true), body)
   end
   local id = pick_task(user)
   if roll <= 95 then
      -- A new title each time, so that every update really writes.
      local body = string.format('{"title":"Renamed %d-%d"}', thread_number, counter)
      return wrk.format("PUT", "/api/tasks/" .. id, headers_for(user, true), body)
   end
   return wrk.format("PATCH", "/api/tasks/" .. id .. "/complete", headers_for(user, false))
end
