// The session coroutine of a downstream connection, written once against AnyStream (plain or
// TLS, client or upstream side), so Beast's HTTP algorithms are instantiated for one stream type.
//
// One straight loop per connection: read head (bounded, deadline) → RequestHandler::handle() →
// local reply, or forward (pooled upstream connection; request then response relayed through
// fixed buffers as in Beast's relay() example) → keep-alive. Every co_await uses
// redirect_error: the request path never throws; one catch sits at the session boundary.
#include <algorithm>
#include <array>
#include <charconv>
#include <optional>

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>
#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

#include "common/ascii.h"
#include "http/headers.h"
#include "http/local_reply.h"
#include "net/any_stream.h"
#include "net/head_writer.h"
#include "net/worker.h"

namespace claimgate::net::detail {
namespace {

namespace bh = beast::http;
using asio::redirect_error;
using asio::use_awaitable;
using std::chrono::milliseconds;

// Fields of parsed messages live in the connection's Arena: Beast allocates every field node
// separately, and with the arena that costs no malloc per request once the connection is warm.
// Deallocation is a no-op; parsers are destroyed before the arena is reset.
template <class T>
struct ArenaAllocator {
  using value_type = T;
  http::Arena* arena;
  explicit ArenaAllocator(http::Arena& a) : arena(&a) {}
  template <class U>
  ArenaAllocator(const ArenaAllocator<U>& o) : arena(o.arena) {}  // NOLINT: rebind
  T* allocate(std::size_t n) { return static_cast<T*>(arena->allocate(n * sizeof(T), alignof(T))); }
  void deallocate(T*, std::size_t) noexcept {}
  template <class U>
  bool operator==(const ArenaAllocator<U>& o) const { return arena == o.arena; }
  template <class U>
  bool operator!=(const ArenaAllocator<U>& o) const { return arena != o.arena; }
};
using FieldsAlloc = ArenaAllocator<char>;
using Fields = bh::basic_fields<FieldsAlloc>;
using RequestParser = bh::request_parser<bh::buffer_body, FieldsAlloc>;
using ResponseParser = bh::response_parser<bh::buffer_body, FieldsAlloc>;

inline std::string_view sv(beast::string_view s) { return {s.data(), s.size()}; }
inline beast::string_view bsv(std::string_view s) { return {s.data(), s.size()}; }

inline beast::tcp_stream& lowest(AnyStream& s) { return s.lowest(); }

inline void setDeadline(beast::tcp_stream& s, milliseconds t) {
  if (t.count() > 0) {
    s.expires_after(t);
  } else {
    s.expires_never();
  }
}

constexpr std::size_t kTlsIdleRead = 2048;
constexpr std::size_t kHeadReadSize = 8192;
// A decision that took this long did real work (a signature verified: RSA-2048 is ~25 µs here,
// ECDSA more; a cached token is ~1 µs, HMAC ~2 µs). See exchange() for what it changes.
constexpr auto kSlowDecision = std::chrono::microseconds(5);

// Per downstream connection; parsers, buffers and the arena are reused for every request.
struct Conn {
  Conn(Worker& w, const ListenerState& l, bool tls)
      : w(w),
        listener(l),
        limits(w.core.config.limits),
        tls(tls),
        // The head limit trips first (431); the extra room is for pipelined bytes behind it.
        buffer(w.core.config.limits.max_request_head + 16 * 1024, PooledAllocator<char>(w.blocks)),
        arena(w.blocks.blockSize(), &w.blocks) {}
  ~Conn() { releaseBody(); }

  // The relay buffer, allocated on first use (and again after releaseIdle()).
  char* bodyBuf() {
    if (!body_buf) {
      body_buf = limits.body_buffer == w.blocks.blockSize()
                     ? w.blocks.get()
                     : std::make_unique_for_overwrite<char[]>(limits.body_buffer);
    }
    return body_buf.get();
  }
  void releaseBody() {
    if (body_buf && limits.body_buffer == w.blocks.blockSize()) w.blocks.put(std::move(body_buf));
    body_buf.reset();
  }
  // The buffer a head is written into, empty. After releaseIdle() it starts at a size that
  // holds a typical head (a bearer token included), one malloc instead of several doublings.
  std::string& outBuf() {
    out.clear();
    if (out.capacity() < kOutReserve) out.reserve(kOutReserve);
    return out;
  }
  static constexpr std::size_t kOutReserve = 1000;  // within glibc's per-thread cache (<= 1032)

  // Between requests on a keep-alive connection with nothing buffered: give back every
  // per-request buffer, so that an idle connection costs its coroutine frame and this object
  // only (10,000 idle clients must fit in a few tens of MiB). The 16 KiB blocks (the arena's,
  // the relay buffer, the read buffer unless a large head made it grow) go to the worker's
  // BlockPool, where the next busy connection takes them without a malloc.
  void releaseIdle() {
    buffer.clear();
    buffer.shrink_to_fit();
    arena.release();
    releaseBody();
    std::string().swap(out);
  }

  Worker& w;
  const ListenerState& listener;
  const Limits& limits;
  bool tls;
  SessionNode node;
  std::string remote_addr;
  ReadBuffer buffer;  // pooled blocks (worker.h)
  http::Arena arena;  // before the parsers: it must outlive them
  std::optional<RequestParser> req;
  std::optional<ResponseParser> res;
  // The request in flight as the handler sees it, and where its log line starts. Here rather
  // than in serveOne()'s coroutine frame, which must stay under 1 KiB for Asio to recycle it.
  http::RequestHead head;
  struct {
    std::chrono::system_clock::time_point when;
    SteadyClock::time_point at;
    std::string_view method, authority, path;  // as received (arena copies), when logging
  } started;
  std::string out;                      // heads we write (outBuf())
  std::unique_ptr<char[]> body_buf;     // relay buffer, both directions (one at a time); lazy
  std::unique_ptr<char[]> tls_idle_buf;  // TLS only: where an idle wait reads (kTlsIdleRead)
  SSL* ssl = nullptr;                    // TLS only: to see records OpenSSL already holds
  // Closing while the client may still be sending (an error reply, an unread body): close
  // lingering, so unread input does not turn into a RST that destroys our last response.
  bool linger = false;
};

// What the session remembers about the current request beyond the parser.
struct RequestInfo {
  bool head = false;        // HEAD: response has no body
  bool http10 = false;      // client spoke HTTP/1.0
  bool keep_alive = false;  // client wants the connection kept (before we strip Connection)
  bool expect_continue = false;
  bool idempotent = false;  // GET/HEAD/OPTIONS/TRACE: replayable on a stale pooled connection
  bool slow_decision = false;  // the handler took kSlowDecision or more
};

struct Outcome {
  int status = 0;
  bool close = false;  // close the client connection after this request
  std::string_view upstream;
};

inline bool isParseError(const beast::error_code& ec) {
  static const auto& cat = bh::make_error_code(bh::error::bad_method).category();
  return ec.category() == cat && ec != bh::error::end_of_stream &&
         ec != bh::error::partial_message && ec != bh::error::need_buffer;
}

// Output of one message: a head and (maybe) body bytes, sent together in one gather write.
using Gather = std::array<asio::const_buffer, 2>;

// Sending happens in two steps, so that the usual case costs no coroutine frame:
// sendNow() puts on a plain TCP socket what it takes at once (non-blocking; a usual head and
// small body fit the send buffer, so there is no async operation, no timer and no completion to
// dispatch) and consumes that from `bufs`. It says whether the write is over (true: all sent,
// false: failed), or nothing when bytes are left (always on TLS): sendRest() writes those with
// an async write under `timeout`. Use: `auto r = sendNow(s, b); r ? *r : co_await sendRest(..)`.
std::optional<bool> sendNow(AnyStream& s, Gather& bufs) {
  if (!s.plain()) return std::nullopt;
  beast::error_code ec;
  std::size_t sent = lowest(s).socket().send(bufs, 0, ec);
  if (ec == asio::error::would_block || ec == asio::error::try_again) return std::nullopt;
  if (ec) return false;
  for (auto& b : bufs) {
    std::size_t k = std::min(sent, b.size());
    b += k;
    sent -= k;
  }
  if (bufs[0].size() == 0 && bufs[1].size() == 0) return true;
  return std::nullopt;
}

asio::awaitable<bool> sendRest(AnyStream& s, Gather bufs, milliseconds timeout) {
  beast::error_code ec;
  setDeadline(lowest(s), timeout);
  co_await asio::async_write(s, bufs, redirect_error(use_awaitable, ec));
  co_return !ec;
}

// Reading a head also takes two steps: parseBuffered() parses what `buf` already holds, with
// no I/O and no coroutine frame (a keep-alive client's next request, an upstream's response
// read together with the previous one's end); only when it needs more does readHead() read from
// `s` (arming `deadline`, when set, before the first read) and parse until the head is whole.
// Errors are those of Beast's async_read_header: end_of_stream when the peer closed before a
// byte, partial_message after some, header_limit, buffer_overflow, parse errors, timeout.
template <bool isRequest>
bool parseBuffered(ReadBuffer& buf, bh::parser<isRequest, bh::buffer_body, FieldsAlloc>& p,
                   beast::error_code& ec) {  // true: the head is whole, or ec says why not
  ec = {};
  if (buf.size() == 0) return false;
  buf.consume(p.put(buf.data(), ec));
  if (ec == bh::error::need_more) {
    ec = {};
    return false;
  }
  return ec || p.is_header_done();
}

template <bool isRequest>
asio::awaitable<void> readHead(AnyStream& s, ReadBuffer& buf,
                               bh::parser<isRequest, bh::buffer_body, FieldsAlloc>& p,
                               std::optional<milliseconds> deadline, beast::error_code& ec) {
  for (;;) {
    // At least kHeadReadSize at once: with little free capacity (a new or just idle buffer)
    // Beast's read_size would give 512 bytes, and a 1 KiB JWT request would take 3 reads.
    std::size_t room = std::min(std::max(buf.capacity() - buf.size(), kHeadReadSize),
                                buf.max_size() - buf.size());
    if (room == 0) {
      ec = bh::error::buffer_overflow;
      co_return;
    }
    if (deadline) {
      setDeadline(lowest(s), *deadline);
      deadline.reset();
    }
    std::size_t got = co_await s.async_read_some(buf.prepare(room), redirect_error(use_awaitable, ec));
    buf.commit(got);
    if (ec == asio::error::eof) {
      if (p.got_some()) {
        p.put_eof(ec);
        if (!ec) ec = bh::error::partial_message;
      } else {
        ec = bh::error::end_of_stream;
      }
    }
    if (ec || parseBuffered(buf, p, ec)) co_return;
  }
}

asio::awaitable<bool> writeLocal(AnyStream& s, Conn& c, const http::LocalReply& r,
                                 const RequestInfo& ri, bool close) {
  c.outBuf();
  http::ReplyFraming f;
  f.head_request = ri.head;
  f.close = close;
  f.http10 = ri.http10;
  f.keep_alive_10 = ri.http10 && !close;
  f.date = c.w.httpDate();
  f.server = c.w.core.config.server_name;
  http::appendLocalReply(c.out, r, f);
  Gather out{asio::buffer(c.out), asio::const_buffer()};
  std::optional<bool> sent = sendNow(s, out);
  co_return sent ? *sent : co_await sendRest(s, out, c.limits.idle_timeout);
}

enum class RelayError { kNone, kInput, kOutput };

// Streams one message from `in` to `out` through `buf` (Beast's relay(): the parser fills the
// buffer_body, the serializer drains it). The header is written together with the first body
// bytes when they are already buffered, so a small message costs one write.
// The serializer lives in this frame, not the caller's: the common small message never comes
// here, and exchange()'s frame stays small enough for Asio's frame recycling.
template <bool isRequest>
asio::awaitable<RelayError> relay(AnyStream& in, ReadBuffer& in_buf,
                                  bh::parser<isRequest, bh::buffer_body, FieldsAlloc>& p,
                                  AnyStream& out, char* buf, std::size_t n, milliseconds in_timeout,
                                  milliseconds out_timeout, beast::error_code& ec) {
  bh::serializer<isRequest, bh::buffer_body, Fields> sr{p.get()};
  for (;;) {
    auto& body = p.get().body();
    if (p.is_done()) {
      body.data = nullptr;
      body.size = 0;
      body.more = false;
    } else if (!sr.is_header_done() && in_buf.size() == 0) {
      setDeadline(lowest(out), out_timeout);
      co_await bh::async_write_header(out, sr, redirect_error(use_awaitable, ec));
      if (ec) co_return RelayError::kOutput;
      continue;
    } else {
      body.data = buf;
      body.size = n;
      setDeadline(lowest(in), in_timeout);
      co_await bh::async_read(in, in_buf, p, redirect_error(use_awaitable, ec));
      if (ec == bh::error::need_buffer) ec = {};
      if (ec) co_return RelayError::kInput;
      body.size = n - body.size;
      body.data = buf;
      body.more = !p.is_done();
    }
    setDeadline(lowest(out), out_timeout);
    co_await bh::async_write(out, sr, redirect_error(use_awaitable, ec));
    if (ec == bh::error::need_buffer) ec = {};
    if (ec) co_return RelayError::kOutput;
    if (sr.is_done() || (p.is_done() && !body.more)) co_return RelayError::kNone;
  }
}

// Rewrites the parsed request head in place for the upstream (RFC 9110 §7.6: hop-by-hop fields
// and the fields Connection names are dropped; x-forwarded-for gets the client appended,
// x-forwarded-proto is set; Host and target as the plan says; body re-framed).
inline constexpr std::string_view kXff = "x-forwarded-for";
inline constexpr std::string_view kXfp = "x-forwarded-proto";

inline void prepareUpstreamRequest(Conn& c, const http::ForwardPlan& plan, const RequestInfo& ri) {
  auto& m = c.req->get();
  http::ConnectionOptions options;
  std::string_view xff;
  for (const auto& f : m) {
    if (f.name() == bh::field::connection) {
      options.add(c.arena.copy(sv(f.value())));  // copied: the field is erased below
    } else if (f.name() == bh::field::unknown && asciiIequals(sv(f.name_string()), kXff)) {
      std::string_view v = sv(f.value());
      xff = xff.empty() ? c.arena.copy(v) : c.arena.concat({xff, ", ", v});
    }
  }
  for (auto it = m.begin(); it != m.end();) {
    bh::field name = it->name();
    std::string_view name_string = sv(it->name_string());
    bool drop = (name == bh::field::unknown &&
                 (asciiIequals(name_string, kXff) || asciiIequals(name_string, kXfp))) ||
                (ri.expect_continue && name == bh::field::expect) ||
                http::shouldDropField(name_string, options, plan.remove_headers);
    it = drop ? m.erase(it) : std::next(it);
  }
  if (!plan.target.empty()) m.target(bsv(plan.target));
  if (!plan.host.empty()) m.set(bh::field::host, bsv(plan.host));
  for (const http::HeaderView& h : plan.add_headers) m.insert(bsv(h.name), bsv(h.value));
  std::string_view client = c.remote_addr;
  m.insert(bsv(kXff), bsv(xff.empty() ? client : c.arena.concat({xff, ", ", client})));
  m.insert(bsv(kXfp), c.tls ? "https" : "http");
  if (c.req->chunked()) m.chunked(true);  // Transfer-Encoding was dropped above: re-frame
  m.version(11);
}

enum class ExchangeResult {
  kDone,           // response relayed (o.close says what to do with the client)
  kDoneReusable,   // same, and the upstream connection can go back to the pool
  kClientGone,     // the client failed mid-request: close everything
  kStaleUpstream,  // reused connection failed before any response byte (retry if replayable)
  kUpstreamReset,  // 503: upstream failed before the response head
  kUpstreamTimeout,  // 504
  kAborted,        // failed after the response head was sent: close the client
};

asio::awaitable<ExchangeResult> exchange(AnyStream& client, AnyStream& up, UpstreamConn& uc, Conn& c,
                                         const http::ForwardPlan& plan, const RequestInfo& ri,
                                         Outcome& o) {
  beast::error_code ec;
  auto& m = c.req->get();
  const milliseconds idle = c.limits.idle_timeout;
  const std::size_t n = c.limits.body_buffer;

  // After a slow decision the other ready connections decide first, and the requests leave
  // together. Between two sends that far apart the upstream has gone back to sleep, and our
  // send pays for waking it (the kernel's wakeup, on a VM an exit); sent together, one wakeup
  // serves several. With 10,000 distinct RS256 tokens this cut the gateway's CPU per request
  // by ~10%. After a fast decision the upstream is still awake and the post costs more than it
  // saves: deferring every send made the plain proxy 1.5–3 µs slower (docs/server.md).
  if (ri.slow_decision) co_await asio::post(c.w.ioc, use_awaitable);

  // 1. Request: head, then the body streamed from the client. Without a body (most requests)
  // the head goes out in one write.
  if (c.req->is_done()) {
    appendRequestHead(c.outBuf(), m);
    Gather head{asio::buffer(c.out), asio::const_buffer()};
    std::optional<bool> sent = sendNow(up, head);
    if (!(sent ? *sent : co_await sendRest(up, head, idle))) {
      co_return uc.reused ? ExchangeResult::kStaleUpstream : ExchangeResult::kUpstreamReset;
    }
  } else {
    RelayError e = co_await relay(client, c.buffer, *c.req, up, c.bodyBuf(), n, idle, idle, ec);
    if (e == RelayError::kInput) co_return ExchangeResult::kClientGone;
    if (e == RelayError::kOutput) {
      co_return uc.reused ? ExchangeResult::kStaleUpstream : ExchangeResult::kUpstreamReset;
    }
  }

  // 2. Response head, within the route timeout (Envoy starts it once the request is sent).
  // The other ready connections run first: the upstream has usually answered by then, so the
  // read finds the response instead of failing and waiting for the reactor.
  setDeadline(lowest(up), plan.timeout);
  if (uc.buffer.size() == 0) co_await asio::post(c.w.ioc, use_awaitable);
  for (;;) {
    c.res.emplace(std::piecewise_construct, std::make_tuple(), std::make_tuple(FieldsAlloc(c.arena)));
    c.res->header_limit(static_cast<std::uint32_t>(c.limits.max_response_head));
    c.res->body_limit(boost::none);
    if (ri.head) c.res->skip(true);
    if (!parseBuffered(uc.buffer, *c.res, ec)) co_await readHead(up, uc.buffer, *c.res, std::nullopt, ec);
    if (ec) {
      if (ec == beast::error::timeout) co_return ExchangeResult::kUpstreamTimeout;
      bool nothing = !c.res->got_some();
      co_return (uc.reused && nothing) ? ExchangeResult::kStaleUpstream
                                       : ExchangeResult::kUpstreamReset;
    }
    int status = c.res->get().result_int();
    if (status >= 200) break;
    // 1xx interim responses (RFC 9110 §15.2): we sent no Expect and no Upgrade upstream, so
    // a 100 is not for the client; 101 would switch to a protocol we did not offer.
    if (status == 101) co_return ExchangeResult::kUpstreamReset;
  }

  // 3. Response head rewritten for the client, then the body streamed.
  auto& r = c.res->get();
  const int status = r.result_int();
  o.status = status;
  const bool upstream_keep_alive = c.res->keep_alive();  // before Connection is stripped
  const bool no_body = ri.head || status == 204 || status == 304;
  bool close = !ri.keep_alive || c.w.draining;
  http::ConnectionOptions options;
  for (const auto& f : r) {
    if (f.name() == bh::field::connection) options.add(c.arena.copy(sv(f.value())));
  }
  for (auto it = r.begin(); it != r.end();) {
    it = http::shouldDropField(sv(it->name_string()), options, {}) ? r.erase(it) : std::next(it);
  }
  if (!no_body && (c.res->chunked() || c.res->need_eof())) {
    // Unknown length: chunked for HTTP/1.1 clients; an HTTP/1.0 client reads until we close.
    if (ri.http10) {
      close = true;
    } else {
      r.chunked(true);
    }
  }
  r.version(ri.http10 ? 10 : 11);
  if (close) {
    r.set(bh::field::connection, "close");
  } else if (ri.http10) {
    r.set(bh::field::connection, "keep-alive");
  }
  o.close = close;
  // The whole body already read with the head (a small Content-Length response, or none): head
  // and body leave in one write, without the parser and serializer loop. Otherwise the body is
  // relayed.
  bool complete = false;  // the whole response reached the client
  const auto length = c.res->content_length();
  if (c.res->is_done() || (!c.res->chunked() && length && *length <= uc.buffer.size())) {
    const std::size_t body = c.res->is_done() ? 0 : static_cast<std::size_t>(*length);
    appendResponseHead(c.outBuf(), r);
    Gather out{asio::buffer(c.out), asio::buffer(uc.buffer.data(), body)};
    std::optional<bool> sent = sendNow(client, out);
    if (!(sent ? *sent : co_await sendRest(client, out, idle))) {
      o.close = true;
      co_return ExchangeResult::kClientGone;
    }
    uc.buffer.consume(body);
    complete = true;
  } else {
    RelayError e = co_await relay(up, uc.buffer, *c.res, client, c.bodyBuf(), n, idle, idle, ec);
    if (e != RelayError::kNone) {
      o.close = true;
      co_return e == RelayError::kInput ? ExchangeResult::kAborted : ExchangeResult::kClientGone;
    }
    complete = c.res->is_done();
  }
  // Bytes left after the response (an upstream sending more than it framed) would be read as
  // the next request's response: such a connection is not reused.
  const bool reusable = upstream_keep_alive && complete && uc.buffer.size() == 0 &&
                        c.req->is_done() && !c.w.draining;
  co_return reusable ? ExchangeResult::kDoneReusable : ExchangeResult::kDone;
}

// Forwards the current request as `plan` says; writes the 5xx itself when the upstream fails.
asio::awaitable<Outcome> forward(AnyStream& client, Conn& c, const http::ForwardPlan& plan,
                                 const RequestInfo& ri) {
  Outcome o;
  const http::UpstreamTarget& t = *plan.upstream;
  o.upstream = t.key;
  prepareUpstreamRequest(c, plan, ri);
  const bool replayable = ri.idempotent && c.req->is_done();
  bool sent_continue = false;
  for (int attempt = 0;; ++attempt) {
    auto now = SteadyClock::now();
    std::unique_ptr<UpstreamConn> uc = c.w.pool.take(t.key, now, c.limits.upstream_idle_timeout);
    if (!uc) {
      ConnectError err;
      uc = co_await connectUpstream(c.w, t, err);
      if (!uc) {
        c.w.ctx.stats().inc("claimgate_upstream_connect_failures_total");
        http::LocalReply r = err == ConnectError::kResolve ? http::LocalReply::noHealthyUpstream()
                                                           : http::LocalReply::upstreamConnectFailure();
        o.status = r.status;
        o.close = !ri.keep_alive || c.w.draining || !c.req->is_done();
        if (!co_await writeLocal(client, c, r, ri, o.close)) o.close = true;
        co_return o;
      }
      c.w.ctx.stats().inc("claimgate_upstream_connections_total");
    }
    if (ri.expect_continue && !sent_continue && !c.req->is_done()) {
      // RFC 9110 §10.1.1: we answer the expectation ourselves once we know where the body goes.
      static constexpr std::string_view k100 = "HTTP/1.1 100 Continue\r\n\r\n";
      beast::error_code ec;
      setDeadline(lowest(client), c.limits.idle_timeout);
      co_await asio::async_write(client, asio::buffer(k100.data(), k100.size()),
                                 redirect_error(use_awaitable, ec));
      if (ec) {
        o.close = true;
        co_return o;
      }
      sent_continue = true;
    }
    ExchangeResult x = co_await exchange(client, *uc->stream, *uc, c, plan, ri, o);
    if (x == ExchangeResult::kStaleUpstream && replayable && attempt == 0) {
      c.w.ctx.stats().inc("claimgate_upstream_retries_total");
      continue;  // the upstream closed the pooled connection: try a fresh one
    }
    switch (x) {
      case ExchangeResult::kDoneReusable:
        c.w.pool.put(std::move(uc), SteadyClock::now(), c.limits.max_idle_per_upstream);
        co_return o;
      case ExchangeResult::kDone:
        co_return o;
      case ExchangeResult::kClientGone:
      case ExchangeResult::kAborted:
        o.close = true;
        if (o.status == 0) o.status = 499;  // nginx's "client closed request", for the log
        co_return o;
      case ExchangeResult::kStaleUpstream:
      case ExchangeResult::kUpstreamReset:
      case ExchangeResult::kUpstreamTimeout: {
        http::LocalReply r = x == ExchangeResult::kUpstreamTimeout ? http::LocalReply::upstreamTimeout()
                                                                   : http::LocalReply::upstreamReset();
        o.status = r.status;
        o.close = !ri.keep_alive || c.w.draining || !c.req->is_done();
        if (!co_await writeLocal(client, c, r, ri, o.close)) o.close = true;
        co_return o;
      }
    }
  }
}

// Reads and discards the rest of a request body we answered without forwarding, up to
// limits.max_drain_body; false if it is longer (the caller closes the connection instead).
asio::awaitable<bool> drainBody(AnyStream& s, Conn& c) {
  std::size_t total = 0;
  beast::error_code ec;
  while (!c.req->is_done()) {
    auto& body = c.req->get().body();
    body.data = c.bodyBuf();
    body.size = c.limits.body_buffer;
    setDeadline(lowest(s), c.limits.idle_timeout);
    co_await bh::async_read(s, c.buffer, *c.req, redirect_error(use_awaitable, ec));
    if (ec == bh::error::need_buffer) ec = {};
    if (ec) co_return false;
    total += c.limits.body_buffer - body.size;
    if (total > c.limits.max_drain_body) co_return false;
  }
  co_return true;
}

// The host part of a Host value (no port): "example.com:8080" → "example.com", "[::1]:80" → "[::1]".
inline std::string_view hostWithoutPort(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    auto end = host.find(']');
    return end == std::string_view::npos ? host : host.substr(0, end + 1);
  }
  auto colon = host.rfind(':');
  return colon == std::string_view::npos ? host : host.substr(0, colon);
}

// Validates what Beast leaves to us (RFC 9112 §6.1, §6.3, §3.2). 0 = fine, else the status to
// answer before closing.
inline int checkFraming(RequestParser& p, std::size_t& host_count) {
  auto& m = p.get();
  std::size_t te_tokens = 0;
  bool has_te = false;
  host_count = 0;
  for (const auto& f : m) {
    if (f.name() == bh::field::transfer_encoding) {
      has_te = true;
      std::string_view v = sv(f.value());
      while (!v.empty()) {
        auto comma = v.find(',');
        if (!http::trimOws(v.substr(0, comma)).empty()) ++te_tokens;
        v = comma == std::string_view::npos ? std::string_view{} : v.substr(comma + 1);
      }
    } else if (f.name() == bh::field::host) {
      ++host_count;
    }
  }
  if (has_te) {
    // TE in HTTP/1.0, or chunked not final: the length cannot be determined (smuggling risk).
    if (m.version() < 11 || !p.chunked()) return 400;
    if (te_tokens != 1) return 501;  // codings other than chunked are not implemented
  }
  if (host_count > 1 || (host_count == 0 && m.version() >= 11)) return 400;
  return 0;
}

inline void logAndCount(Conn& c, const http::LogFields& log, const Outcome& o) {
  char code[8];
  auto r = std::to_chars(code, code + sizeof code, o.status);
  c.w.ctx.stats().inc("claimgate_requests_total",
                      {{"route", log.route}, {"decision", log.decision},
                       {"code", std::string_view(code, static_cast<std::size_t>(r.ptr - code))}});
  if (c.w.core.access_log) {
    AccessLogEntry e;
    e.time = c.started.when;
    e.method = c.started.method;
    e.authority = c.started.authority;
    e.path = c.started.path;
    e.route = log.route;
    e.policy = log.policy;
    e.provider = log.provider;
    e.decision = log.decision;
    e.reason = log.reason;
    e.status = o.status;
    e.upstream = o.upstream;
    e.duration = SteadyClock::now() - c.started.at;
    c.w.appendLog(c.w.log_formatter.format(e));
  }
}

// Suspends until the handler's Wait is over: its resume callback ran (posted back to this
// worker through the gate), `limit` passed, or there was nothing to wait for. The callback
// holds only weak references, so a fetch finishing after the request (or the worker) is gone
// touches nothing of it.
asio::awaitable<void> awaitDecisionInput(Worker& w, const http::Wait& wait, milliseconds limit) {
  auto timer = std::make_shared<asio::steady_timer>(w.ioc, limit);
  std::weak_ptr<asio::steady_timer> weak = timer;
  std::weak_ptr<PostGate> gate = w.post_gate;
  const bool waiting = wait.subscribe && wait.subscribe([gate, weak] {
    if (auto g = gate.lock()) {
      g->post([weak] {
        if (auto t = weak.lock()) t->cancel();
      });
    }
  });
  if (!waiting) co_return;
  beast::error_code ec;
  co_await timer->async_wait(redirect_error(use_awaitable, ec));
}

// Answers a request the session refuses before any handler sees it (head too large, not
// HTTP/1.x, bad framing) and counts it; the connection then closes, lingering.
asio::awaitable<void> reject(AnyStream& s, Conn& c, int status, std::string_view reason,
                             const RequestInfo& ri) {
  c.w.ctx.stats().inc("claimgate_downstream_rejected_total", {{"reason", reason}});
  c.linger = true;
  co_await writeLocal(s, c, http::LocalReply::protocolError(status), ri, true);
}

// Writes a reply the gateway makes itself (a policy's 401/403, a 404, a redirect). A request
// body not read yet is read and discarded when it is short, so the connection stays usable; a
// long one, or one the client holds back until told to send it (Expect: 100-continue), closes
// the connection instead.
asio::awaitable<Outcome> answerLocally(AnyStream& s, Conn& c, const http::LocalReply& reply,
                                       const RequestInfo& ri) {
  Outcome o;
  const bool pending = !c.req->is_done();
  bool close = !ri.keep_alive || c.w.draining || (pending && ri.expect_continue);
  if (pending && !close) {
    auto len = c.req->content_length();
    if (len && *len > c.limits.max_drain_body) close = true;
  }
  o.status = reply.status;
  o.close = close;
  bool ok = co_await writeLocal(s, c, reply, ri, close);
  if (ok && !close && pending) ok = co_await drainBody(s, c);
  if (!ok) o.close = true;
  co_return o;
}

// The parsed request as the handler sees it (c.head; its header list in the arena), and what
// the access log needs of it as sent (forwarding rewrites the head in place).
void describe(Conn& c, const bh::request_header<Fields>& m) {
  c.started.when = std::chrono::system_clock::now();
  c.started.at = SteadyClock::now();
  std::size_t n = 0;
  for (auto it = m.begin(); it != m.end(); ++it) ++n;
  std::span<http::HeaderView> headers = c.arena.makeArray<http::HeaderView>(n);
  std::string_view host;
  n = 0;
  for (const auto& f : m) {
    headers[n++] = {sv(f.name_string()), sv(f.value())};
    if (f.name() == bh::field::host) host = sv(f.value());
  }
  http::RequestHead& head = c.head;
  head = {};
  head.method = sv(m.method_string());
  head.target = sv(m.target());
  head.host = host;
  head.tls = c.tls;
  head.remote_addr = c.remote_addr;
  head.listener_port = c.listener.port;
  head.headers = headers;
  c.started.method = c.started.authority = c.started.path = {};
  if (c.w.core.access_log) {
    c.started.method = c.arena.copy(head.method);
    c.started.authority = c.arena.copy(head.host);
    c.started.path = c.arena.copy(head.target);
  }
}

// What to do with the request: the handler's decision, or the listener's own (an
// https_redirect listener's 301; 404 while no handler is set). Only a head with may_wait may
// get Wait.
http::Decision decide(Conn& c, const http::RequestHead& head,
                      std::shared_ptr<HandlerHolder>& holder) {
  if (c.listener.https_redirect && !c.tls) {
    // RFC 9110 §15.4.2; the port is dropped, as Envoy's https_redirect does.
    std::string_view location = c.arena.concat({"https://", hostWithoutPort(head.host), head.target});
    return http::Decision::reply(http::LocalReply::text(301, {}).withHeader("location", location),
                                 {.decision = "https_redirect"});
  }
  if (!holder) holder = c.w.currentHandler();
  if (!holder || !holder->handler) {
    return http::Decision::reply(http::LocalReply::noRoute(), {.decision = "no_handler"});
  }
  http::Decision d = holder->handler->handle(head, c.w.ctx, c.arena);
  if (!head.may_wait && std::holds_alternative<http::Wait>(d.action)) {  // a handler bug: never hang
    return http::Decision::reply(http::LocalReply::noHealthyUpstream(), {.decision = "no_decision"});
  }
  return d;
}

// One request of a connection, from its head to the end of its response. A coroutine of its
// own so that its large frame exists only while a request is in flight (asio recycles it): an
// idle keep-alive connection keeps only serve()'s small frame. False: close the connection.
asio::awaitable<bool> serveOne(AnyStream& s, Conn& c) {
  const Limits& lim = c.limits;
  beast::error_code ec;
  c.req.emplace(std::piecewise_construct, std::make_tuple(), std::make_tuple(FieldsAlloc(c.arena)));
  c.req->header_limit(static_cast<std::uint32_t>(lim.max_request_head));
  c.req->body_limit(boost::none);  // streamed through; the upstream applies its own limit
  RequestInfo ri;
  if (!parseBuffered(c.buffer, *c.req, ec)) co_await readHead(s, c.buffer, *c.req, lim.header_timeout, ec);
  if (ec) {
    // The client's version is unknown (maybe unparsed): answer as HTTP/1.1 and close.
    if (ec == bh::error::header_limit || ec == bh::error::buffer_overflow) {
      co_await reject(s, c, 431, "head_too_large", ri);
    } else if (isParseError(ec)) {
      co_await reject(s, c, 400, "bad_request", ri);
    } else if (ec == beast::error::timeout && c.req->got_some()) {
      c.w.ctx.stats().inc("claimgate_downstream_rejected_total", {{"reason", "head_timeout"}});
    }
    co_return false;  // end of stream, reset, timeout
  }
  auto& m = c.req->get();
  ri.http10 = m.version() < 11;
  ri.keep_alive = c.req->keep_alive();
  ri.head = m.method() == bh::verb::head;
  ri.idempotent = ri.head || m.method() == bh::verb::get || m.method() == bh::verb::options ||
                  m.method() == bh::verb::trace;
  std::size_t host_count = 0;
  if (int bad = checkFraming(*c.req, host_count); bad != 0) {
    co_await reject(s, c, bad, "bad_framing", ri);
    co_return false;
  }
  if (auto it = m.find(bh::field::expect); it != m.end()) {
    ri.expect_continue = asciiIequals(sv(it->value()), "100-continue");
  }

  describe(c, m);
  http::RequestHead& head = c.head;

  std::shared_ptr<HandlerHolder> holder;  // keeps what the decision points to alive
  auto timedDecide = [&] {
    const SteadyClock::time_point start = SteadyClock::now();
    http::Decision d = decide(c, head, holder);
    ri.slow_decision = SteadyClock::now() - start >= kSlowDecision;
    return d;
  };
  http::Decision d = timedDecide();
  if (auto* wait = std::get_if<http::Wait>(&d.action)) {
    co_await awaitDecisionInput(c.w, *wait, lim.header_timeout);
    head.may_wait = false;
    d = timedDecide();
  }

  Outcome o;
  if (const auto* reply = std::get_if<http::LocalReply>(&d.action)) {
    o = co_await answerLocally(s, c, *reply, ri);
  } else if (const auto& plan = std::get<http::ForwardPlan>(d.action); plan.upstream) {
    o = co_await forward(s, c, plan, ri);
  } else {
    // A handler bug (no upstream): refuse rather than crash; Envoy's text for no endpoints.
    o = co_await answerLocally(s, c, http::LocalReply::noHealthyUpstream(), ri);
  }
  logAndCount(c, d.log, o);
  if (o.close) {
    c.linger = !c.req->is_done() || c.buffer.size() != 0;
    co_return false;
  }
  co_return true;
}

// Between two requests of a keep-alive connection with nothing buffered. A busy client's next
// request is usually here already: receiveNow() reads it at once (the plain socket is
// non-blocking), keeping the buffers and costing no coroutine frame. Only when nothing is there
// does awaitNextRequest() wait, idle; false when the connection is to end (closed by the
// client, idle too long); once it returns, receiveNow() reads what woke it. The head deadline
// starts once the next request's first bytes are here.
// On TLS, receiveNow() cannot read without an async operation; it says kReadable when a record
// is already waiting (in OpenSSL, in the BIO Asio feeds it through, or on the socket):
// serveOne() then reads it as a busy connection does, keeping the buffers. Bytes Asio's TLS
// layer holds before its BIO are seen by none of these checks; such a connection takes the
// idle path, which reads them just the same.
enum class Next { kHere, kReadable, kClosed, kNotYet };

Next receiveNow(AnyStream& s, Conn& c) {
  beast::error_code ec;
  if (c.tls) {
    if (c.ssl && (SSL_has_pending(c.ssl) == 1 || BIO_ctrl_pending(SSL_get_rbio(c.ssl)) > 0)) {
      return Next::kReadable;
    }
    return lowest(s).socket().available(ec) > 0 && !ec ? Next::kReadable : Next::kNotYet;
  }
  std::size_t got = lowest(s).socket().receive(c.buffer.prepare(kHeadReadSize), 0, ec);
  if (!ec) {
    c.buffer.commit(got);
    return Next::kHere;
  }
  return ec == asio::error::would_block || ec == asio::error::try_again ? Next::kNotYet : Next::kClosed;
}

asio::awaitable<bool> awaitNextRequest(AnyStream& s, Conn& c) {
  beast::error_code ec;
  // Idle: hold no heap buffer meanwhile.
  c.node.idle = true;
  c.releaseIdle();
  if (!c.tls) {
    // Plain TCP: wait until readable without reading and without a buffer. The idle timeout is
    // enforced by the worker's sweep (coarse, like nginx's and HAProxy's), which cancels this
    // wait.
    c.node.parked = true;
    c.node.idle_since = SteadyClock::now();
    co_await lowest(s).socket().async_wait(tcp::socket::wait_read,
                                           redirect_error(use_awaitable, ec));
    c.node.parked = false;
    c.node.idle = false;
    co_return !ec;
  }
  // TLS: bytes may already sit decrypted or buffered in the TLS layer, so read (a small buffer:
  // an idle TLS connection's cost is the TLS layer's own buffers anyway).
  setDeadline(lowest(s), c.limits.idle_timeout);
  if (!c.tls_idle_buf) c.tls_idle_buf = std::make_unique_for_overwrite<char[]>(kTlsIdleRead);
  std::size_t got = co_await s.async_read_some(asio::buffer(c.tls_idle_buf.get(), kTlsIdleRead),
                                               redirect_error(use_awaitable, ec));
  c.node.idle = false;
  if (ec) co_return false;
  c.buffer.commit(asio::buffer_copy(c.buffer.prepare(std::max(got, kHeadReadSize)),
                                    asio::buffer(c.tls_idle_buf.get(), got)));
  co_return true;
}

// The request loop of one connection.
asio::awaitable<void> serve(AnyStream& s, Conn& c) {
  for (bool first = true;; first = false) {
    c.res.reset();  // parsers first: their fields live in the arena
    c.req.reset();
    c.arena.reset();
    if (!first && c.buffer.size() == 0) {
      if (c.w.draining) co_return;
      // Let the other ready connections run first: a busy client's next request often arrives
      // meanwhile, and is then read at once instead of after a failed read and a park.
      co_await asio::post(c.w.ioc, use_awaitable);
      Next n = receiveNow(s, c);
      if (n == Next::kNotYet) {
        if (!co_await awaitNextRequest(s, c)) co_return;
        // Readable now: on plain TCP take the bytes at once rather than through an async read
        // with its timer (serveOne() reads on if the head is not whole).
        if (!c.tls) n = receiveNow(s, c);
      }
      if (n == Next::kClosed) co_return;
    }
    if (!co_await serveOne(s, c)) co_return;
  }
}

// Closes a plain connection without losing the last response: shut down our side, then read
// (and discard) what the client still sends for a moment, so the kernel does not answer unread
// data with a RST that could destroy the response in flight (the "lingering close").
asio::awaitable<void> lingeringClose(beast::tcp_stream& s, char* buf, std::size_t n) {
  beast::error_code ec;
  s.socket().shutdown(tcp::socket::shutdown_send, ec);
  s.expires_after(std::chrono::seconds(1));
  std::size_t total = 0;
  while (!ec && total < 1024 * 1024) {
    total += co_await s.async_read_some(asio::buffer(buf, n), redirect_error(use_awaitable, ec));
  }
  s.socket().close(ec);
}

// RAII link into the worker's session list.
struct SessionRegistration {
  SessionRegistration(Worker& w, SessionNode& n, beast::tcp_stream& tcp) : w(w), n(n) {
    n.tcp = &tcp;
    w.link(n);
  }
  ~SessionRegistration() { w.unlink(n); }
  Worker& w;
  SessionNode& n;
};

}  // namespace

asio::awaitable<void> runPlainSession(Worker& w, const ListenerState& l, tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::error_code nb;
  stream.socket().non_blocking(true, nb);  // serve() tries a read before parking an idle client
  StreamOps<beast::tcp_stream> ops(stream);
  AnyStream as(ops, stream, /*plain=*/true);
  Conn c(w, l, /*tls=*/false);
  SessionRegistration reg(w, c.node, stream);
  beast::error_code ec;
  auto ep = stream.socket().remote_endpoint(ec);
  if (!ec) c.remote_addr = ep.address().to_string();
  try {
    co_await serve(as, c);
  } catch (const std::exception& e) {
    spdlog::debug("session ended by exception: {}", e.what());
  }
  if (c.linger) {
    co_await lingeringClose(stream, c.bodyBuf(), c.limits.body_buffer);
  } else {
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream.socket().close(ec);
  }
}

// TLS: handshake within the head deadline, then the same loop.
asio::awaitable<void> runTlsSession(Worker& w, const ListenerState& l, tcp::socket socket) {
  using TlsStream = beast::ssl_stream<beast::tcp_stream>;
  TlsStream stream(beast::tcp_stream(std::move(socket)), *l.tls);
  beast::tcp_stream& tcp = beast::get_lowest_layer(stream);
  StreamOps<TlsStream> ops(stream);
  AnyStream as(ops, tcp, /*plain=*/false);
  Conn c(w, l, /*tls=*/true);
  c.ssl = stream.native_handle();
  SessionRegistration reg(w, c.node, tcp);
  beast::error_code ec;
  auto ep = tcp.socket().remote_endpoint(ec);
  if (!ec) c.remote_addr = ep.address().to_string();
  try {
    setDeadline(tcp, c.limits.header_timeout);
    co_await stream.async_handshake(asio::ssl::stream_base::server, redirect_error(use_awaitable, ec));
    if (ec) {
      c.w.ctx.stats().inc("claimgate_downstream_tls_handshake_failures_total");
    } else {
      co_await serve(as, c);
      // close_notify (RFC 8446 §6.1), bounded; the client may just close the socket.
      setDeadline(tcp, milliseconds(1000));
      co_await stream.async_shutdown(redirect_error(use_awaitable, ec));
    }
  } catch (const std::exception& e) {
    spdlog::debug("TLS session ended by exception: {}", e.what());
  }
  tcp.socket().close(ec);
}

}  // namespace claimgate::net::detail
