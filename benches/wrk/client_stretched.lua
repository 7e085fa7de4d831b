-- wrk script for benches/gateway.rs: reports sealed and stretched "on the client".
-- Each request carries a fresh random 32-byte lookup key (base64) with the same pre-sealed
-- envelope (the server cannot tell). ENVELOPE and RECIPIENT come from the environment.
local envelope = os.getenv("CONFIDE_WRK_ENVELOPE")
local recipient = os.getenv("CONFIDE_WRK_RECIPIENT")
local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

local function base64_of_random_bytes(n)
  local out = {}
  for _ = 1, n / 3 do
    local v = math.random(0, 16777215)
    for shift = 18, 0, -6 do
      local i = math.floor(v / 2 ^ shift) % 64
      out[#out + 1] = alphabet:sub(i + 1, i + 1)
    end
  end
  return table.concat(out)
end

function init(args)
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
end

request = function()
  -- 33 random bytes give 44 base64 characters; the last byte is dropped to make 32 bytes:
  -- 43 characters and one "=" of padding.
  local lookup = base64_of_random_bytes(33):sub(1, 42)
  local k = math.random(0, 15) * 4 + 1
  local last = alphabet:sub(k, k)
  lookup = lookup .. last .. "="
  local body = '{"entity":"minusca","envelope":"' .. envelope .. '","lookup":"' .. lookup ..
    '","reply_recipient":"' .. recipient .. '"}'
  return wrk.format("POST", "/api/v1/reports", { ["Content-Type"] = "application/json" }, body)
end
