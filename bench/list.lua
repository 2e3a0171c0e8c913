-- GET /api/tasks (the default list, no paging) as a random one of the seeded users.
package.path = (os.getenv("BENCH_LUA_DIR") or ".") .. "/?.lua;" .. package.path
require("common")

local requests = {}

function init(args)
   seed_random()
   for i, user in ipairs(users) do
      requests[i] = wrk.format("GET", "/api/tasks", headers_for(user, false))
   end
end

function request()
   return requests[math.random(#requests)]
end
