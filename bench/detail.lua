-- GET /api/tasks/{id} as a random seeded user, for one of that user's own tasks.
package.path = (os.getenv("BENCH_LUA_DIR") or ".") .. "/?.lua;" .. package.path
require("common")

local requests = {}

function init(args)
   seed_random()
   for i, user in ipairs(users) do
      local own = {}
      for k, id in ipairs(user.ids) do
         own[k] = wrk.format("GET", "/api/tasks/" .. id, headers_for(user, false))
      end
      requests[i] = own
   end
end

function request()
   local own = requests[math.random(#requests)]
   return own[math.random(#own)]
end
