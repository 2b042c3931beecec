#include "net/access_log.h"

#include "common/json_text.h"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <ctime>
#include <stdexcept>

#include <spdlog/spdlog.h>

namespace claimgate::net {
namespace {

void appendField(std::string& out, std::string_view name, std::string_view value) {
  out += ",\"";
  out.append(name);
  out += "\":";
  appendJsonString(out, value);
}

}  // namespace

std::string_view AccessLogFormatter::format(const AccessLogEntry& e) {
  line_.clear();
  auto since_epoch = e.time.time_since_epoch();
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
  auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - secs).count();
  std::time_t t = secs.count();
  std::tm tm{};
  gmtime_r(&t, &tm);
  char ts[40];
  std::size_t n = std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
  n += static_cast<std::size_t>(std::snprintf(ts + n, sizeof ts - n, ".%03dZ", static_cast<int>(millis)));
  line_ += "{\"time\":\"";
  line_.append(ts, n);
  line_ += '"';
  appendField(line_, "method", e.method);
  appendField(line_, "authority", e.authority);
  appendField(line_, "path", e.path);
  appendField(line_, "route", e.route);
  appendField(line_, "policy", e.policy);
  appendField(line_, "provider", e.provider);
  line_ += ",\"status\":";
  char num[32];
  auto r = std::to_chars(num, num + sizeof num, e.status);
  line_.append(num, r.ptr);
  appendField(line_, "decision", e.decision);
  appendField(line_, "reason", e.reason);
  appendField(line_, "upstream", e.upstream);
  double ms = std::chrono::duration<double, std::milli>(e.duration).count();
  int len = std::snprintf(num, sizeof num, "%.3f", ms);
  line_ += ",\"duration_ms\":";
  line_.append(num, static_cast<std::size_t>(len));
  line_ += '}';
  return line_;
}

AccessLog::AccessLog(const std::string& target) {
  if (target == "-") {
    out_ = stdout;
  } else {
    out_ = std::fopen(target.c_str(), "a");
    if (!out_) {
      throw std::runtime_error("cannot open access log " + target + ": " + std::strerror(errno));
    }
    owned_ = true;
  }
  writer_ = std::thread([this] { run(); });
}

AccessLog::~AccessLog() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_one();
  writer_.join();
  if (owned_) std::fclose(out_);
}

void AccessLog::submit(std::string& batch) {
  if (batch.empty()) return;
  bool was_idle;
  {
    std::lock_guard lock(mu_);
    if (queued_bytes_ + batch.size() > kMaxQueuedBytes) {
      ++dropped_;
      batch.clear();
      return;
    }
    queued_bytes_ += batch.size();
    ++submitted_;
    was_idle = queue_.empty();
    queue_.push_back(std::move(batch));
    batch.clear();
    if (!spare_.empty()) {
      batch.swap(spare_.back());  // a buffer with capacity: the next batch does not allocate
      spare_.pop_back();
    }
  }
  if (was_idle) wake_.notify_one();
}

void AccessLog::write(std::string_view line) {
  std::string batch(line);
  batch += '\n';
  submit(batch);
}

void AccessLog::flush() {
  std::unique_lock lock(mu_);
  const std::uint64_t target = submitted_;
  written_.wait(lock, [&] { return done_ >= target; });
}

std::uint64_t AccessLog::droppedBatches() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

void AccessLog::run() {
  std::vector<std::string> work;
  std::uint64_t reported_drops = 0;
  for (;;) {
    std::uint64_t drops;
    {
      std::unique_lock lock(mu_);
      for (auto& b : work) {  // hand the written buffers back for reuse (a few, bounded)
        b.clear();
        if (spare_.size() < 64) spare_.push_back(std::move(b));
      }
      work.clear();
      wake_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty() && stop_) return;
      work.swap(queue_);
      queued_bytes_ = 0;
      drops = dropped_;
    }
    for (const auto& b : work) std::fwrite(b.data(), 1, b.size(), out_);
    std::fflush(out_);  // `tail -f` sees each batch as soon as it is written
    if (drops != reported_drops) {
      spdlog::warn("access log: {} batch(es) of lines dropped so far: the log output is not keeping up",
                   drops);
      reported_drops = drops;
    }
    {
      std::lock_guard lock(mu_);
      done_ += work.size();
    }
    written_.notify_all();
  }
}

}  // namespace claimgate::net
