-- wrk script for gRPC-Web over HTTP/1.1 keep-alive (used by loadtest/run.sh).
--   wrk -t1 -cN -dS -s grpc-web.lua URL -- BODY_FILE CONTENT_TYPE
-- BODY_FILE is a request body written by the kit (5-byte gRPC frame + serialized message, or its base64
-- for gRPC-Web text). Every connection sends the same POST. done() prints one machine-readable line that
-- the runner parses; wrk's own report is printed too, for people.

local function read_all(path)
  local f = assert(io.open(path, "rb"))
  local data = f:read("*a")
  f:close()
  return data
end

function init(args)
  local body_file = args[1]
  local content_type = args[2] or "application/grpc-web+proto"
  wrk.method = "POST"
  wrk.body = read_all(body_file)
  wrk.headers["Content-Type"] = content_type
  wrk.headers["Accept"] = content_type
  wrk.headers["X-Grpc-Web"] = "1"
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK_RESULT requests=%d duration_us=%d bytes=%d connect_errors=%d read_errors=%d write_errors=%d "
      .. "status_errors=%d timeouts=%d p50_us=%d p99_us=%d mean_us=%.1f max_us=%d\n",
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.mean, latency.max))
end
