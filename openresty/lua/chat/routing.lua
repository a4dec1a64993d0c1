-- Slot routing for the chat cluster: which gateway holds user U (slot = U mod slot_count).
--
-- The router is the only writer of the slot table. Worker 0 polls it and keeps the last good copy
-- in the shared dict (one fetcher, so two workers can never store epochs out of order). Every
-- worker routes from its own decoded copy, rebuilt only when the dict's generation changes, so a
-- request costs one shared-dict read and no JSON decoding.
--
-- Request handlers never raise: failures become JSON errors
-- ({"code":...,"message":...}), never nginx's HTML 500.

local cjson = require("cjson.safe")

local ngx = ngx
local byte, match, sub, lower = string.byte, string.match, string.sub, string.lower
local concat, floor = table.concat, math.floor
local type, tonumber, tostring, pcall = type, tonumber, tostring, pcall

local M = {}

local DICT = ngx.shared.chat_routing
local TABLE_PATH = "/v1/table"
local POLL_INTERVAL = 1       -- seconds; a slot move is followed within about this long
local MAX_BODY = 1024 * 1024  -- a 1024-slot table is a few KB; anything near this is garbage
local MAX_SLOTS = 1048576
local U64_MAX = "18446744073709551615"
-- A router that lost its state (Redis flushed) starts its epoch again from a low value. Refusing
-- it forever would pin us to a table of dead gateways, so a lower epoch is believed once this
-- many consecutive fetches agree on it.
local REGRESS_ACCEPT = 5
local LOG_EVERY = 10          -- seconds between two logged fetch failures

-- Set once by configure() in init_by_lua, inherited by every worker.
local router_host, router_port, router_hostport
local fallback = {}

-- Per-worker state.
local cache, cache_gen         -- compiled table and the dict generation it came from
local rr = 0                   -- round-robin cursor for REST
local fetching = false
local regress = 0
local failing, last_log_at, suppressed = false, 0, 0

-- Variable proxy_pass can only reach ip:port without a resolver; hostnames are accepted here so
-- that a config with a `resolver` (Docker, Kubernetes) works too.
local function valid_addr(a)
    if type(a) ~= "string" then return false end
    local port = match(a, "^[%w%.%-]+:(%d+)$") or match(a, "^%[[%x:%.]+%]:(%d+)$")
    port = tonumber(port)
    return port ~= nil and port >= 1 and port <= 65535
end

-- JSON numbers arrive as doubles; reject fractions, NaN and infinities.
local function is_int(x)
    return type(x) == "number" and x == floor(x) and x > -1e18 and x < 1e19
end

-- Canonical positive decimal that fits in a u64 (no sign, no leading zero); nil otherwise.
local function parse_uid(s)
    if type(s) ~= "string" then return nil end
    local n = #s
    if n == 0 or n > 20 or not match(s, "^[1-9]%d*$") then return nil end
    if n == 20 and s > U64_MAX then return nil end   -- same length: string order is numeric order
    return s
end

-- uid mod n digit by digit: a u64 does not fit a double, but each step stays below 10n + 10.
local function uid_mod(uid, n)
    local r = 0
    for i = 1, #uid do
        r = (r * 10 + byte(uid, i) - 48) % n
    end
    return r
end

-- Validates a decoded table and turns it into what routing needs. The same code validates at
-- fetch time and compiles in each worker, so a table that was stored always compiles.
local function compile(t)
    if type(t) ~= "table" then return nil, "body is not a JSON object" end
    local epoch, n, gws, slots = t.epoch, t.slot_count, t.gateways, t.slots
    if not is_int(epoch) or epoch < 0 then return nil, "epoch is not a non-negative integer" end
    if not is_int(n) or n < 1 or n > MAX_SLOTS then return nil, "slot_count is out of range" end
    if type(gws) ~= "table" then return nil, "gateways is not an array" end
    if type(slots) ~= "table" or #slots ~= n then
        return nil, "slots does not have slot_count entries"
    end
    local addrs = {}
    for i = 1, #gws do
        local g = gws[i]
        if type(g) ~= "table" or not valid_addr(g.addr) then
            return nil, "gateway " .. (i - 1) .. " has no valid host:port addr"
        end
        addrs[i] = g.addr
    end
    local owner, ng = {}, #addrs
    for i = 1, n do
        local s = slots[i]
        if not is_int(s) or s < -1 or s >= ng then
            return nil, "slot " .. (i - 1) .. " is not -1 or a gateway index"
        end
        owner[i] = s >= 0 and addrs[s + 1] or false
    end
    return { epoch = epoch, slot_count = n, addrs = addrs, owner = owner }
end

---------------------------------------------------------------------------------------------
-- Fetching (worker 0, from a timer)

local function fail(sock, msg)
    sock:close()
    return nil, msg
end

-- Plain HTTP/1.0 GET: Debian ships no lua-resty-http, and 1.0 spares us chunked bodies.
local function http_get()
    local sock = ngx.socket.tcp()
    sock:settimeouts(500, 1000, 1000)
    local ok, err = sock:connect(router_host, router_port)
    if not ok then return nil, "connect: " .. err end
    ok, err = sock:send("GET " .. TABLE_PATH .. " HTTP/1.0\r\nHost: " .. router_hostport ..
        "\r\nAccept: application/json\r\nUser-Agent: chat-openresty\r\n\r\n")
    if not ok then return fail(sock, "send: " .. err) end

    local line
    line, err = sock:receive("*l")
    if not line then return fail(sock, "status line: " .. err) end
    if match(line, "^HTTP/%d%.%d (%d+)") ~= "200" then
        return fail(sock, "router answered '" .. sub(line, 1, 100) .. "'")
    end

    local len
    while true do
        line, err = sock:receive("*l")
        if not line then return fail(sock, "headers: " .. err) end
        if line == "" then break end
        local k, v = match(line, "^([^:]+):%s*(.-)%s*$")
        k = k and lower(k)
        if k == "content-length" then
            len = tonumber(v)
            if not len or len > MAX_BODY then return fail(sock, "bad content-length " .. v) end
        elseif k == "transfer-encoding" and lower(v) ~= "identity" then
            return fail(sock, "transfer-encoding " .. v .. " not supported")
        end
    end

    local body
    if len then
        body, err = sock:receive(len)
        if not body then return fail(sock, "body: " .. err) end
    else
        -- No length: the body ends when the router closes (HTTP/1.0).
        local parts, size = {}, 0
        while true do
            local data, e = sock:receiveany(65536)
            if not data then
                if e == "closed" then break end
                return fail(sock, "body: " .. e)
            end
            size = size + #data
            if size > MAX_BODY then return fail(sock, "body larger than " .. MAX_BODY) end
            parts[#parts + 1] = data
        end
        body = concat(parts)
    end
    sock:close()
    return body
end

local function fetch_once()
    local body, err = http_get()
    if not body then return nil, err end
    local t
    t, err = cjson.decode(body)
    if t == nil then return nil, "invalid JSON: " .. (err or "?") end
    local c
    c, err = compile(t)
    if not c then return nil, "invalid table: " .. err end

    local old = DICT:get("epoch")
    if old and c.epoch < old then
        regress = regress + 1
        if regress < REGRESS_ACCEPT then
            return nil, "router epoch " .. c.epoch .. " is behind ours " .. old .. "; keeping ours"
        end
        ngx.log(ngx.WARN, "router epoch went back from ", old, " to ", c.epoch,
            " for ", regress, " fetches; adopting it (router state reset?)")
    end
    regress = 0
    DICT:set("fetched_at", ngx.now())
    if DICT:get("table") == body then return true end

    -- Table before generation: a worker that sees the new generation must find the new table.
    local ok
    ok, err = DICT:set("table", body)
    if not ok then return nil, "shared dict: " .. err end
    DICT:set("epoch", c.epoch)
    DICT:incr("gen", 1, 0)
    ngx.log(ngx.NOTICE, "routing table epoch ", old or "none", " -> ", c.epoch, ", ",
        #c.addrs, " gateway(s)")
    return true
end

local function poll(premature)
    if premature or fetching then return end   -- a slow router must not stack up fetches
    fetching = true
    local ok, res, err = pcall(fetch_once)
    fetching = false
    if ok and res then
        if failing then
            ngx.log(ngx.NOTICE, "routing table fetch from ", router_hostport, " recovered")
            failing, suppressed = false, 0
        end
        return
    end
    err = ok and err or ("lua error: " .. tostring(res))
    local now = ngx.now()
    -- The router being down would otherwise write one line per second per instance.
    if not failing or now - last_log_at >= LOG_EVERY then
        ngx.log(ngx.ERR, "routing table fetch from ", router_hostport, " failed: ", err,
            suppressed > 0 and (" (" .. suppressed .. " similar failures not logged)") or "",
            "; keeping epoch ", DICT:get("epoch") or "none")
        failing, last_log_at, suppressed = true, now, 0
    else
        suppressed = suppressed + 1
    end
end

---------------------------------------------------------------------------------------------
-- Request side (every worker)

local function current()
    local gen = DICT:get("gen")
    if gen and gen ~= cache_gen then
        local c = compile(cjson.decode(DICT:get("table") or ""))
        if c then cache, cache_gen = c, gen end
    end
    return cache
end

-- Only constant code/message strings come here, so concatenation is valid JSON.
local function reject(status, code, message)
    local body = '{"code":"' .. code .. '","message":"' .. message .. '"}'
    ngx.status = status
    ngx.header["Content-Type"] = "application/json"
    ngx.header["Content-Length"] = #body
    ngx.header["Cache-Control"] = "no-store"
    ngx.print(body)
    return ngx.exit(status)
end

-- A token in the query string (the seed's client, and our last resort) moves into the
-- Authorization header (unless one is there already), so that neither the gateway's request
-- line nor any log holds it. Returns `upstream` without the token argument.
local function token_to_header(upstream)
    local args = ngx.req.get_uri_args(100)
    if args.token == nil then
        return upstream
    end
    if type(args.token) == "string" and args.token ~= "" and not ngx.var.http_authorization then
        ngx.req.set_header("Authorization", "Bearer " .. args.token)
    end
    args.token = nil
    local rest = ngx.encode_args(args)
    local path = match(upstream, "^[^?]*")
    if rest == "" then return path end
    return path .. "?" .. rest
end

-- Returns nothing after setting $backend/$upstream_uri, or (status, code, message).
local function ws_target()
    local uri, upstream = ngx.var.uri, ngx.var.request_uri
    local uid = match(uri, "^/ws/([^/]*)")
    if not uid then
        if uri == "/ws" then
            uid = ngx.var.http_x_user_route
        else
            -- Seed's /api/v1/ws/{uid}/...: the gateway serves the seed's dialect at
            -- /api/v1/ws/{uid}/chat; keep the query string.
            uid = match(uri, "^/api/v1/ws/([^/]*)")
            upstream = nil
        end
    end
    uid = parse_uid(uid)
    if not uid then
        return 400, "bad_user_id",
            "user id must be a positive decimal integer: /ws/{uid} or /ws with X-User-Route"
    end
    if not upstream then
        upstream = "/api/v1/ws/" .. uid .. "/chat" .. ngx.var.is_args .. (ngx.var.args or "")
    end
    upstream = token_to_header(upstream)

    local t, addr = current(), nil
    if t then
        addr = t.owner[uid_mod(uid, t.slot_count) + 1]
        if not addr then
            return 503, "no_gateway", "no gateway owns this user's slot right now; retry shortly"
        end
    elseif #fallback > 0 then
        -- No table yet: a guess; a gateway that does not own the user answers `moved`.
        addr = fallback[uid_mod(uid, #fallback) + 1]
    else
        return 503, "no_gateway", "routing table not loaded yet; retry shortly"
    end
    ngx.var.backend = addr
    ngx.var.upstream_uri = upstream
end

local function rest_target()
    local t = current()
    local list = t and t.addrs or fallback
    if #list == 0 then
        return 503, "no_gateway", "no gateway is available; retry shortly"
    end
    rr = rr % #list + 1
    ngx.var.backend = list[rr]
    ngx.var.upstream_uri = ngx.var.request_uri
end

local function run(target)
    local ok, status, code, message = pcall(target)
    if not ok then
        ngx.log(ngx.ERR, "routing failed: ", status)
        return reject(500, "internal", "routing error")
    end
    if status then return reject(status, code, message) end
end

---------------------------------------------------------------------------------------------
-- Entry points used by nginx.conf

-- init_by_lua: fails nginx start on a badly rendered template rather than running half-blind.
function M.configure(opts)
    local r = opts.router or ""
    local host, port = match(r, "^([%w%.%-]+):(%d+)$")
    if not host then error("router address must be host:port, got '" .. r .. "'") end
    router_host, router_port, router_hostport = host, tonumber(port), r
    for a in (opts.fallback or ""):gmatch("[^,%s]+") do
        if not valid_addr(a) then error("fallback gateway must be host:port, got '" .. a .. "'") end
        fallback[#fallback + 1] = a
    end
end

function M.init_worker()
    if ngx.worker.id() ~= 0 or not router_host then return end
    local ok, err = ngx.timer.at(0, poll)
    if ok then ok, err = ngx.timer.every(POLL_INTERVAL, poll) end
    if not ok then ngx.log(ngx.ERR, "cannot start routing table timer: ", err) end
end

function M.route_ws() return run(ws_target) end

function M.route_rest() return run(rest_target) end

-- GET /_routing/table: what this instance routes by, and how fresh it is.
function M.dump()
    local raw, fetched = DICT:get("table"), DICT:get("fetched_at")
    local t = current()
    local meta = cjson.encode({
        source = raw and "router" or (#fallback > 0 and "fallback" or "none"),
        router = router_hostport,
        epoch = DICT:get("epoch"),
        generation = DICT:get("gen"),
        worker_epoch = t and t.epoch,
        age_s = fetched and floor((ngx.now() - fetched) * 1000 + 0.5) / 1000,
        fallback = #fallback > 0 and fallback or nil,
    }) or "{}"
    ngx.header["Content-Type"] = "application/json"
    ngx.header["Cache-Control"] = "no-store"
    ngx.say(sub(meta, 1, -2), meta == "{}" and "" or ",", '"table":', raw or "null", "}")
end

-- Exposed for tests.
M._parse_uid, M._uid_mod, M._compile = parse_uid, uid_mod, compile

return M
