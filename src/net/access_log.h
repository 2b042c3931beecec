// The access log: one JSON object per line and per request. A worker formats each line into its
// own batch buffer and hands the batch to the log's writer thread when it holds 16 KiB or 50 ms
// after its first line (one lock and one wake-up per batch, not per request: waking a logger
// thread for every line cost more CPU than the request itself). The writer does the I/O; a
// worker never blocks on it. When more than 32 MiB wait unwritten (a stuck disk or pipe), new
// batches are dropped and counted, and the writer says so on stderr.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

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
  static constexpr std::size_t kBatchBytes = 16 * 1024;
  static constexpr std::chrono::milliseconds kBatchDelay{50};
  static constexpr std::size_t kMaxQueuedBytes = 32 * 1024 * 1024;

  // "-" = stdout, else a file path (appended). Throws std::runtime_error naming the path when it
  // cannot be opened.
  explicit AccessLog(const std::string& target);
  ~AccessLog();  // writes everything submitted, then stops the writer

  // Hands a batch of complete lines ('\n'-terminated) to the writer. Thread-safe; never blocks
  // on I/O. `batch` is left empty (its buffer may be swapped for a recycled one).
  void submit(std::string& batch);
  void write(std::string_view line);  // one line, submitted at once (tests, rare paths)
  // Blocks until every batch submitted before the call is written and flushed.
  void flush();
  std::uint64_t droppedBatches() const;

 private:
  void run();

  std::FILE* out_ = nullptr;
  bool owned_ = false;  // out_ was opened here
  mutable std::mutex mu_;
  std::condition_variable wake_, written_;
  std::vector<std::string> queue_;
  std::vector<std::string> spare_;  // emptied buffers, handed back to submitters
  std::size_t queued_bytes_ = 0;
  std::uint64_t submitted_ = 0, done_ = 0, dropped_ = 0;
  bool stop_ = false;
  std::thread writer_;
};

}  // namespace claimgate::net
