#include "net/access_log.h"

#include "common/json_text.h"

#include <charconv>
#include <ctime>

#include <spdlog/async.h>
#include <spdlog/async_logger.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
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
  auto pool = std::make_shared<spdlog::details::thread_pool>(8192, 1);
  spdlog::sink_ptr sink;
  if (target == "-") {
    sink = std::make_shared<spdlog::sinks::stdout_sink_mt>();
  } else {
    sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(target, /*truncate=*/false);
  }
  auto logger = std::make_shared<spdlog::async_logger>("access", std::move(sink), pool,
                                                       spdlog::async_overflow_policy::overrun_oldest);
  logger->set_pattern("%v");
  logger->set_level(spdlog::level::info);
  logger->flush_on(spdlog::level::info);  // on the logger thread: tail -f sees every line
  pool_ = pool;
  logger_ = std::move(logger);
}

AccessLog::~AccessLog() {
  if (logger_) logger_->flush();
}

void AccessLog::write(std::string_view line) { logger_->info("{}", line); }

void AccessLog::flush() { logger_->flush(); }

}  // namespace claimgate::net
