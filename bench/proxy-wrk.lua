-- Prints one machine-readable line after a wrk run (latencies in ms).
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'SLUICE_WRK {"requests":%d,"durationUs":%d,"errors":%d,"non2xx":%d,"p50":%.4f,"p99":%.4f,"p999":%.4f,"mean":%.4f,"max":%.4f}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency:percentile(99.9) / 1000,
    latency.mean / 1000, latency.max / 1000))
end
