// Internal to net/: AnyStream, a type-erased async byte stream (plain TCP or TLS over TCP) for
// Beast's HTTP algorithms. The session, relay and forwarding code is written once against it
// instead of being instantiated for every (client stream × upstream stream) pair: that keeps
// the Beast TU count and compile time down (docs/server.md has the numbers). The price per I/O
// operation is one virtual call and one type-erased handler, whose memory comes from Asio's
// per-thread recycling allocator (no malloc in steady state).
#pragma once

#include <array>
#include <cstddef>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/recycling_allocator.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/tcp_stream.hpp>

namespace claimgate::net::detail {

class AnyStream {
 public:
  using executor_type = boost::asio::any_io_executor;
  using Handler = boost::asio::any_completion_handler<void(boost::beast::error_code, std::size_t)>;

  // Up to kMax buffers of a gather write (a write_some may write a prefix of the sequence).
  struct ConstBuffers {
    static constexpr std::size_t kMax = 16;
    using value_type = boost::asio::const_buffer;
    using const_iterator = const boost::asio::const_buffer*;
    std::array<boost::asio::const_buffer, kMax> b{};
    std::size_t n = 0;
    const_iterator begin() const { return b.data(); }
    const_iterator end() const { return b.data() + n; }
  };

  class Ops {
   public:
    virtual ~Ops() = default;
    virtual void readSome(boost::asio::mutable_buffer b, Handler h) = 0;
    virtual void writeSome(const ConstBuffers& b, Handler h) = 0;
  };

  // plain: the stream is `lowest` itself (no TLS), so bytes may also be written to its socket
  // directly (the session's non-blocking fast path).
  AnyStream(Ops& ops, boost::beast::tcp_stream& lowest, bool plain)
      : ops_(&ops), lowest_(&lowest), ex_(lowest.get_executor()), plain_(plain) {}

  executor_type get_executor() const noexcept { return ex_; }
  // The TCP layer, for deadlines (expires_after), cancel and shutdown.
  boost::beast::tcp_stream& lowest() { return *lowest_; }
  bool plain() const { return plain_; }

  template <class MutableBufferSequence, class Token>
  auto async_read_some(const MutableBufferSequence& buffers, Token&& token) {
    boost::asio::mutable_buffer first;
    for (auto it = boost::asio::buffer_sequence_begin(buffers);
         it != boost::asio::buffer_sequence_end(buffers); ++it) {
      boost::asio::mutable_buffer b(*it);
      if (b.size() != 0) {
        first = b;
        break;
      }
    }
    return boost::asio::async_initiate<Token, void(boost::beast::error_code, std::size_t)>(
        [ops = ops_](auto handler, boost::asio::mutable_buffer b) {
          ops->readSome(b, Handler(recycled(std::move(handler))));
        },
        token, first);
  }

  template <class ConstBufferSequence, class Token>
  auto async_write_some(const ConstBufferSequence& buffers, Token&& token) {
    ConstBuffers cb;
    for (auto it = boost::asio::buffer_sequence_begin(buffers);
         it != boost::asio::buffer_sequence_end(buffers) && cb.n < ConstBuffers::kMax; ++it) {
      boost::asio::const_buffer b(*it);
      if (b.size() != 0) cb.b[cb.n++] = b;
    }
    return boost::asio::async_initiate<Token, void(boost::beast::error_code, std::size_t)>(
        [ops = ops_](auto handler, const ConstBuffers& bufs) {
          ops->writeSome(bufs, Handler(recycled(std::move(handler))));
        },
        token, cb);
  }

 private:
  template <class H>
  static auto recycled(H&& h) {
    return boost::asio::bind_allocator(boost::asio::recycling_allocator<void>(), std::forward<H>(h));
  }

  Ops* ops_;
  boost::beast::tcp_stream* lowest_;
  executor_type ex_;
  bool plain_;
};

// The Ops of a concrete stream (beast::tcp_stream, beast::ssl_stream<beast::tcp_stream>).
template <class Stream>
class StreamOps final : public AnyStream::Ops {
 public:
  explicit StreamOps(Stream& s) : s_(s) {}
  // The handler is bound to the stream's executor: Boost 1.81's any_completion_executor lacks
  // the blocking.never property Beast's basic_stream requires when it posts a completion. Every
  // stream of a connection lives on the one io_context of its worker, so this is the same
  // executor the handler would have run on anyway.
  void readSome(boost::asio::mutable_buffer b, AnyStream::Handler h) override {
    s_.async_read_some(b, boost::asio::bind_executor(s_.get_executor(), std::move(h)));
  }
  void writeSome(const AnyStream::ConstBuffers& b, AnyStream::Handler h) override {
    s_.async_write_some(b, boost::asio::bind_executor(s_.get_executor(), std::move(h)));
  }

 private:
  Stream& s_;
};

}  // namespace claimgate::net::detail
