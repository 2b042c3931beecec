// The access log: one JSON object per line and per request, written by spdlog's async logger
// (a background thread does the I/O; a worker only formats the line into its own buffer and
// enqueues it, never blocking: when the queue is full the oldest line is dropped).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

namespace spdlog {
class logger;
}

namespace claimgate::net {

struct AccessLogEntry {
  std::chrono::system_clock::time_point time;  // when the request head was complete
  std::string_view method, authority, path;
  std::string_view route, policy, provider, decision, reason;
  int status = 0;
  std::string_view upstream;  // host:port forwarded to, empty for local replies
  std::chrono::steady_clock::duration duration{};
};

// Per-thread formatter: appends the JSON line to an internal buffer reused for every entry.
class AccessLogFormatter {
 public:
  // {"time":"2026-11-28T14:27:20.123Z","method":"GET",...,"duration_ms":0.123}
  std::string_view format(const AccessLogEntry& e);

 private:
  std::string line_;
};

class AccessLog {
 public:
  // "-" = stdout, else a file path (appended). Throws spdlog::spdlog_ex on open failure.
  explicit AccessLog(const std::string& target);
  ~AccessLog();
  void write(std::string_view line);  // thread-safe, non-blocking
  void flush();

 private:
  std::shared_ptr<void> pool_;  // spdlog::details::thread_pool, kept alive with the logger
  std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace claimgate::net
