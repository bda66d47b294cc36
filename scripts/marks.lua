-- wrk script for bench-mock.sh: POSTs admin_set_msg_read bodies that cycle
-- through 100 000 distinct pairs. The request path, with a valid UserSig,
-- comes from MSGREAD_PATH.
local path = os.getenv("MSGREAD_PATH")
local pairs_n = 100000
local threads = 0
local counter = 0

function setup(thread)
  thread:set("offset", threads * 7919)
  threads = threads + 1
end

function init(args)
  counter = offset or 0
end

request = function()
  counter = counter + 1
  local n = counter % pairs_n
  local body = string.format('{"Report_Account":"user%d","Peer_Account":"peer%d","MsgReadTime":"1700000000"}', n, n % 97)
  return wrk.format("POST", path, {["Content-Type"] = "application/json"}, body)
end
