#include <sys/socket.h>

#include <cerrno>

#include "net/worker.h"

namespace claimgate::net::detail {
namespace {

// A pooled plain connection the upstream has closed reads as EOF without blocking; catching it
// here (one MSG_PEEK) avoids sending a request into a dead socket. Data waiting on an idle plain
// HTTP connection is a protocol error: drop that connection too. On TLS, pending bytes may be a
// legitimate record (a TLS 1.3 session ticket), so only EOF and errors count.
bool looksAlive(UpstreamConn& c) {
  char byte;
  int fd = c.lowest().socket().native_handle();
  ssize_t n = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n == 0) return false;
  if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK;
  return c.tls;
}

void closeConn(UpstreamConn& c) {
  beast::error_code ec;
  c.lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
  c.lowest().socket().close(ec);
}

}  // namespace

std::unique_ptr<UpstreamConn> UpstreamPool::take(std::string_view key, SteadyClock::time_point now,
                                                 std::chrono::milliseconds idle_timeout) {
  auto it = idle_.find(key);
  if (it == idle_.end()) return nullptr;
  auto& v = it->second;
  while (!v.empty()) {
    std::unique_ptr<UpstreamConn> c = std::move(v.back());
    v.pop_back();
    if (now - c->idle_since <= idle_timeout && looksAlive(*c)) {
      c->reused = true;
      return c;
    }
    closeConn(*c);
  }
  return nullptr;
}

void UpstreamPool::put(std::unique_ptr<UpstreamConn> conn, SteadyClock::time_point now,
                       std::size_t max_idle) {
  auto it = idle_.find(std::string_view(conn->key));
  if (it == idle_.end()) it = idle_.try_emplace(conn->key).first;
  if (it->second.size() >= max_idle) {
    closeConn(*conn);
    return;
  }
  conn->idle_since = now;
  conn->lowest().expires_never();
  it->second.push_back(std::move(conn));
}

void UpstreamPool::sweep(SteadyClock::time_point now, std::chrono::milliseconds idle_timeout) {
  for (auto it = idle_.begin(); it != idle_.end();) {
    auto& v = it->second;
    std::erase_if(v, [&](std::unique_ptr<UpstreamConn>& c) {
      if (idle_timeout.count() != 0 && now - c->idle_since <= idle_timeout) return false;
      closeConn(*c);
      return true;
    });
    it = v.empty() ? idle_.erase(it) : std::next(it);
  }
}

std::size_t UpstreamPool::idleCount() const {
  std::size_t n = 0;
  for (auto& [k, v] : idle_) n += v.size();
  return n;
}

const DnsCache::Entry* DnsCache::find(std::string_view key, SteadyClock::time_point now) const {
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.expires < now) return nullptr;
  return &it->second;
}

void DnsCache::store(std::string key, std::vector<tcp::endpoint> endpoints,
                     SteadyClock::time_point expires) {
  if (entries_.size() > 4096) entries_.clear();  // bound memory against many distinct hosts
  entries_[std::move(key)] = Entry{std::move(endpoints), expires};
}

const std::shared_ptr<HandlerHolder>& Worker::currentHandler() {
  std::uint64_t g = core.handler_generation.load(std::memory_order_acquire);
  if (g != handler_generation) {
    std::lock_guard lock(core.handler_mu);  // only once per reload per thread
    handler = std::make_shared<HandlerHolder>(HandlerHolder{core.handler});
    handler_generation = core.handler_generation.load(std::memory_order_relaxed);
  }
  return handler;
}

std::string_view Worker::httpDate() {
  std::time_t now = std::time(nullptr);
  if (now != date_second_) {
    date_second_ = now;
    std::tm tm{};
    gmtime_r(&now, &tm);
    date_len_ = std::strftime(date_, sizeof date_, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  }
  return {date_, date_len_};
}

Worker::~Worker() {
  post_gate->close();  // a fetch completing later must not post to a dead io_context
  // I/O objects go before the io_context; suspended session frames (a drain that timed out)
  // are destroyed by the io_context's destructor.
  beast::error_code ec;
  for (auto& a : acceptors) a.close(ec);
  acceptors.clear();
  pool.sweep(SteadyClock::now(), std::chrono::milliseconds(0));
  client_tls.clear();
}

void Worker::appendLog(std::string_view line) {
  AccessLog* log = core.access_log.get();
  if (!log) return;
  log_batch.append(line);
  log_batch += '\n';
  if (log_batch.size() >= AccessLog::kBatchBytes) {
    log->submit(log_batch);
  } else if (!log_timer_armed) {
    log_timer_armed = true;
    log_timer.expires_after(AccessLog::kBatchDelay);
    log_timer.async_wait([this](const beast::error_code&) {
      log_timer_armed = false;
      submitLog();
    });
  }
}

void Worker::submitLog() {
  if (AccessLog* log = core.access_log.get()) log->submit(log_batch);
}

void Worker::link(SessionNode& n) {
  n.next = sessions.next;
  n.prev = &sessions;
  sessions.next->prev = &n;
  sessions.next = &n;
  session_count.fetch_add(1, std::memory_order_relaxed);
}

void Worker::unlink(SessionNode& n) {
  n.prev->next = n.next;
  n.next->prev = n.prev;
  n.prev = n.next = nullptr;
  session_count.fetch_sub(1, std::memory_order_relaxed);
}

}  // namespace claimgate::net::detail
