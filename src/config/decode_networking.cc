// Decoders for networking.gloo.solo.io/v2: VirtualGateway, RouteTable, ExternalService,
// ExternalEndpoint (gloo-api.md §5–§7). Unimplemented Gloo fields are warnings only when ignoring
// them cannot let a request through that Gloo would refuse; otherwise they are errors.
#include <algorithm>
#include <array>
#include <cctype>

#include <fmt/format.h>

#include "config/decoders.h"

namespace claimgate::config::detail {

namespace {

constexpr std::string_view kMeshWhy = "mesh (sidecar) routing; claimgate is a gateway only";

std::string toLower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// `*`, `example.com`, `*.example.com`, `*bar.example.com`: a `*` only as the first character.
bool validHostPattern(std::string_view h) {
  if (h.empty() || h.size() > 255) return false;
  if (h.find("${") != std::string_view::npos) return true;  // a template: warned about already
  if (h == "*") return true;
  std::string_view rest = h.front() == '*' ? h.substr(1) : h;
  if (rest.empty()) return false;
  return std::all_of(rest.begin(), rest.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '.' || c == '_';
  });
}

// ---- VirtualGateway -------------------------------------------------------------------------

TlsProtocolVersion decodeTlsVersion(const Node& n) {
  static constexpr std::array<std::string_view, 5> kNames = {"TLS_AUTO", "TLSv1_0", "TLSv1_1",
                                                             "TLSv1_2", "TLSv1_3"};
  return static_cast<TlsProtocolVersion>(readEnum(n, kNames).value_or(0));
}

TlsConfig decodeTls(const Node& n) {
  TlsConfig t;
  MapReader m(n);
  auto mode = m.take("mode");
  if (auto v = m.take("secretName")) t.secret_name = readString(*v).value_or("");
  if (auto v = m.take("files")) {
    MapReader f(*v);
    TlsFiles files;
    if (auto x = f.take("serverCert")) files.server_cert = readString(*x).value_or("");
    if (auto x = f.take("privateKey")) files.private_key = readString(*x).value_or("");
    if (auto x = f.take("caCerts")) files.ca_certs = readString(*x).value_or("");
    f.finish();
    t.files = std::move(files);
  }
  if (auto v = m.take("verifySubjectAltName")) {
    t.verify_subject_alt_name = readStringList(*v);
    if (!t.verify_subject_alt_name.empty())
      v->warning("ignored (client certificates are only checked with MUTUAL TLS, which claimgate "
                 "does not support)");
  }
  if (auto v = m.take("parameters")) {
    MapReader p(*v);
    if (auto x = p.take("minimumProtocolVersion"))
      t.parameters.minimum_protocol_version = decodeTlsVersion(*x);
    if (auto x = p.take("maximumProtocolVersion"))
      t.parameters.maximum_protocol_version = decodeTlsVersion(*x);
    if (auto x = p.take("cipherSuites")) t.parameters.cipher_suites = readStringList(*x);
    p.finish();
  }
  m.finish();
  if (!m.valid()) return t;

  static constexpr std::array<std::string_view, 5> kModes = {
      "PASSTHROUGH", "SIMPLE", "MUTUAL", "AUTO_PASSTHROUGH", "ISTIO_MUTUAL"};
  if (!mode || mode->isNull()) {
    // TLSMode's zero value is PASSTHROUGH: Gloo would pass the TLS bytes through untouched.
    n.error("\"mode\" is required: without it Gloo uses PASSTHROUGH, which claimgate does not "
            "support (write mode: SIMPLE)");
    return t;
  }
  auto i = readEnum(*mode, kModes);
  if (!i) return t;
  t.mode = static_cast<TlsMode>(*i);
  if (t.mode != TlsMode::kSimple) {
    mode->error(fmt::format("mode {} is not supported by claimgate (only SIMPLE)", kModes[*i]));
    return t;
  }
  bool has_files = t.files && (!t.files->server_cert.empty() || !t.files->private_key.empty());
  if (!t.secret_name.empty() && t.files)
    n.error("set only one of \"secretName\" and \"files\"");
  else if (t.secret_name.empty() && !has_files)
    n.error("mode SIMPLE needs \"secretName\" or \"files\" {serverCert, privateKey}");
  else if (t.files && (t.files->server_cert.empty() || t.files->private_key.empty()))
    n.error("\"files\" needs both \"serverCert\" and \"privateKey\"");
  return t;
}

RouteTableFilter decodeRouteTableFilter(const Node& n, std::string_view vg_namespace) {
  RouteTableFilter f;
  MapReader m(n);
  if (auto v = m.take("host")) f.host = readString(*v).value_or("");
  if (auto v = m.take("selector")) f.selector = decodeObjectSelector(*v);
  m.unsupported("allowedRoutes", Severity::kError,
                "route filters on a listener (ignoring them would bind routes Gloo refuses)");
  m.finish();
  if (!m.valid()) return f;
  if (f.host.empty()) {
    n.error("\"host\" is required");
    return f;
  }
  std::string_view h = f.host;
  f.host_namespace = "*";
  if (auto slash = h.find('/'); slash != std::string_view::npos) {
    f.host_namespace = std::string(h.substr(0, slash));
    if (f.host_namespace == ".") f.host_namespace = std::string(vg_namespace);
    h = h.substr(slash + 1);
  }
  f.dns_name = toLower(std::string(h));
  if (!validHostPattern(f.dns_name))
    n.child("host", n.yaml()["host"]).error(fmt::format("\"{}\" is not a host name pattern", f.host));
  return f;
}

Listener decodeListener(const Node& n, std::string_view vg_namespace) {
  Listener l;
  MapReader m(n);
  auto port = m.take("port");
  if (port) l.port = decodePortSelector(*port);
  if (auto v = m.take("http")) l.http = readEmptyMessage(*v);
  if (auto v = m.take("tcp")) {
    l.tcp = true;
    v->error("not supported by claimgate: TCP listeners (use http: {})");
  }
  if (auto v = m.take("tls")) l.tls = decodeTls(*v);
  if (auto v = m.take("httpsRedirect")) l.https_redirect = readBool(*v).value_or(false);
  if (auto v = m.take("allowedRouteTables")) {
    forEach(*v, [&](const Node& e, std::size_t) {
      l.allowed_route_tables.push_back(decodeRouteTableFilter(e, vg_namespace));
    });
  }
  m.unsupported("exposedExternalServices", Severity::kWarning, "egress gateways");
  if (auto v = m.take("appProtocol")) l.app_protocol = readString(*v).value_or("");
  m.finish();
  if (!m.valid()) return l;
  if (!port || l.port.empty()) {
    n.error("\"port\" is required (port.number is the port claimgate listens on)");
  } else if (!l.port.number) {
    port->error("claimgate needs \"port.number\"; a port name means nothing outside Kubernetes");
  }
  if (!l.http && !l.tcp) n.error("a listener needs \"http: {}\" (claimgate serves HTTP only)");
  if (l.tls && l.https_redirect) n.error("set only one of \"tls\" and \"httpsRedirect\"");
  return l;
}

// ---- RouteTable ------------------------------------------------------------------------------

StringMatch decodeStringMatch(const Node& n) {
  StringMatch s;
  MapReader m(n);
  int kinds = 0;
  auto one = [&](std::string_view key, StringMatch::Kind kind) {
    if (auto v = m.take(key)) {
      ++kinds;
      s.kind = kind;
      s.value = readString(*v).value_or("");
      return true;
    }
    return false;
  };
  one("exact", StringMatch::Kind::kExact);
  bool prefix = one("prefix", StringMatch::Kind::kPrefix);
  bool regex = one("regex", StringMatch::Kind::kRegex);
  one("suffix", StringMatch::Kind::kSuffix);
  auto ic = m.take("ignoreCase");
  if (ic) s.ignore_case = readBool(*ic).value_or(false);
  m.finish();
  if (!m.valid()) return s;
  if (kinds == 0) n.error("needs one of \"exact\", \"prefix\", \"regex\"");
  if (kinds > 1) n.error("set only one of \"exact\", \"prefix\", \"regex\", \"suffix\"");
  if (kinds == 1 && prefix && !s.value.empty() && s.value.front() != '/')
    n.child("prefix", n.yaml()["prefix"])
        .warning(fmt::format("\"{}\" does not start with \"/\": no request path can match it "
                             "(kept as written, as Gloo does)",
                             s.value));
  if (kinds == 1 && regex && s.ignore_case)
    ic->warning("ignoreCase has no effect on a regex (as in Gloo); use (?i) in the pattern");
  return s;
}

HttpRequestMatcher decodeMatcher(const Node& n) {
  HttpRequestMatcher r;
  r.line = n.line();
  MapReader m(n);
  if (auto v = m.take("name")) r.name = readString(*v).value_or("");
  if (auto v = m.take("uri")) r.uri = decodeStringMatch(*v);
  if (auto v = m.take("headers")) {
    forEach(*v, [&](const Node& e, std::size_t) {
      HeaderMatcher h;
      MapReader hm(e);
      if (auto x = hm.take("name")) h.name = readString(*x).value_or("");
      if (auto x = hm.take("value")) h.value = readString(*x).value_or("");
      if (auto x = hm.take("regex")) h.regex = readBool(*x).value_or(false);
      if (auto x = hm.take("invertMatch")) h.invert_match = readBool(*x).value_or(false);
      hm.finish();
      if (hm.valid() && h.name.empty()) e.error("\"name\" is required");
      r.headers.push_back(std::move(h));
    });
  }
  if (auto v = m.take("queryParameters")) {
    forEach(*v, [&](const Node& e, std::size_t) {
      QueryParameterMatcher q;
      MapReader qm(e);
      if (auto x = qm.take("name")) q.name = readString(*x).value_or("");
      if (auto x = qm.take("value")) q.value = readString(*x).value_or("");
      if (auto x = qm.take("regex")) q.regex = readBool(*x).value_or(false);
      qm.finish();
      if (qm.valid() && q.name.empty()) e.error("\"name\" is required");
      r.query_parameters.push_back(std::move(q));
    });
  }
  if (auto v = m.take("method")) {
    r.method = readString(*v).value_or("");
    if (std::any_of(r.method.begin(), r.method.end(),
                    [](unsigned char c) { return std::islower(c); }))
      v->warning(fmt::format("HTTP methods are case-sensitive; \"{}\" matches only that exact "
                             "spelling",
                             r.method));
  }
  if (auto v = m.take("port")) r.port = readUint32(*v, 1, 65535);
  m.finish();
  return r;
}

ForwardToAction decodeForwardTo(const Node& n, std::string_view ns) {
  ForwardToAction f;
  MapReader m(n);
  if (auto v = m.take("destinations")) {
    forEach(*v, [&](const Node& e, std::size_t) {
      f.destinations.push_back(decodeDestinationReference(e, ns));
    });
  }
  if (auto v = m.take("pathRewrite")) f.path_rewrite = readString(*v).value_or("");
  if (auto v = m.take("regexRewrite")) {
    RegexRewrite rr;
    MapReader rm(*v);
    if (auto p = rm.take("pattern")) {
      MapReader pm(*p);
      if (auto x = pm.take("regex")) rr.regex = readString(*x).value_or("");
      pm.unsupported("googleRe2", Severity::kWarning, "deprecated Envoy field; RE2 is always used");
      pm.finish();
    }
    if (auto x = rm.take("substitution")) rr.substitution = readString(*x).value_or("");
    rm.finish();
    if (rm.valid() && rr.regex.empty()) v->error("\"pattern.regex\" is required");
    f.regex_rewrite = std::move(rr);
  }
  if (auto v = m.take("hostRewrite")) f.host_rewrite = readString(*v).value_or("");
  if (auto v = m.take("autoHostRewrite")) f.auto_host_rewrite = readBool(*v).value_or(false);
  m.finish();
  if (f.path_rewrite && f.regex_rewrite) n.error("set only one of \"pathRewrite\" and \"regexRewrite\"");
  if (f.host_rewrite && f.auto_host_rewrite)
    n.error("set only one of \"hostRewrite\" and \"autoHostRewrite\"");
  // Weights (ForwardToAction proto comment): they must total at most 100; a shortfall goes to the
  // destinations without a weight, at least 1 each.
  std::uint64_t sum = 0;
  std::size_t unweighted = 0;
  for (const auto& d : f.destinations) {
    if (d.weight)
      sum += *d.weight;
    else
      ++unweighted;
  }
  if (sum > 100)
    n.child("destinations", n.yaml()["destinations"])
        .error(fmt::format("destination weights total {}, more than 100", sum));
  else if (unweighted > 0 && sum > 0 && 100 - sum < unweighted)
    n.child("destinations", n.yaml()["destinations"])
        .error(fmt::format("destination weights total {}: nothing is left for the {} "
                           "destination(s) without a weight",
                           sum, unweighted));
  return f;
}

DelegateAction decodeDelegate(const Node& n) {
  DelegateAction d;
  MapReader m(n);
  if (auto v = m.take("routeTables")) {
    forEach(*v, [&](const Node& e, std::size_t) { d.route_tables.push_back(decodeObjectSelector(e)); });
  }
  if (auto v = m.take("sortMethod")) {
    static constexpr std::array<std::string_view, 2> kNames = {"TABLE_WEIGHT", "ROUTE_SPECIFICITY"};
    d.sort_method = static_cast<SortMethod>(readEnum(*v, kNames).value_or(0));
  }
  m.unsupported("allowedRoutes", Severity::kError,
                "route filters on delegation (ignoring them would admit child routes Gloo refuses)");
  m.finish();
  if (m.valid() && d.route_tables.empty())
    n.error("\"routeTables\" needs at least one selector");
  return d;
}

RedirectAction decodeRedirect(const Node& n) {
  RedirectAction r;
  MapReader m(n);
  if (auto v = m.take("hostRedirect")) r.host_redirect = readString(*v).value_or("");
  if (auto v = m.take("pathRedirect")) r.path_redirect = readString(*v).value_or("");
  if (auto v = m.take("responseCode")) {
    static constexpr std::array<std::string_view, 5> kNames = {
        "MOVED_PERMANENTLY", "FOUND", "SEE_OTHER", "TEMPORARY_REDIRECT", "PERMANENT_REDIRECT"};
    static constexpr std::array<std::uint32_t, 5> kCodes = {301, 302, 303, 307, 308};
    r.response_code = kCodes[readEnum(*v, kNames).value_or(0)];
  }
  m.finish();
  return r;
}

DirectResponseAction decodeDirectResponse(const Node& n) {
  DirectResponseAction d;
  MapReader m(n);
  auto status = m.take("status");
  if (status) d.status = readUint32(*status, 100, 599).value_or(0);
  if (auto v = m.take("body")) {
    d.body = readString(*v);
    if (d.body && d.body->size() > (1u << 20)) v->error("the body must be smaller than 1 MiB");
  }
  m.finish();
  if (m.valid() && (!status || status->isNull())) n.error("\"status\" is required");
  return d;
}

HttpRoute decodeRoute(const Node& n, std::size_t index, std::string_view ns) {
  HttpRoute r;
  r.index = index;
  r.line = n.line();
  MapReader m(n);
  if (auto v = m.take("name")) r.name = readString(*v).value_or("");
  if (auto v = m.take("labels")) r.labels = readStringMap(*v);
  if (auto v = m.take("matchers")) {
    forEach(*v, [&](const Node& e, std::size_t) { r.matchers.push_back(decodeMatcher(e)); });
  }
  int actions = 0;
  if (auto v = m.take("forwardTo")) {
    ++actions;
    r.action = decodeForwardTo(*v, ns);
  }
  if (auto v = m.take("delegate")) {
    ++actions;
    r.action = decodeDelegate(*v);
  }
  if (auto v = m.take("redirect")) {
    ++actions;
    r.action = decodeRedirect(*v);
  }
  if (auto v = m.take("directResponse")) {
    ++actions;
    r.action = decodeDirectResponse(*v);
  }
  if (auto v = m.take("graphql")) {
    ++actions;
    r.action = UnsupportedAction{"graphql"};
    v->warning("GraphQL is not supported by claimgate: this route answers 500 (as Gloo's "
               "ROUTE_REPLACEMENT does for a route it cannot program)");
  }
  m.finish();
  if (!m.valid()) return r;
  if (actions == 0)
    n.error("a route needs one action: forwardTo, delegate, redirect or directResponse");
  if (actions > 1) n.error("a route takes only one action");
  return r;
}

}  // namespace

void decodeVirtualGateway(const Node& spec, VirtualGateway& out) {
  MapReader m(spec);
  m.unsupported("workloads", Severity::kWarning,
                "selects gateway pods in Kubernetes; claimgate itself is the gateway");
  auto listeners = m.take("listeners");
  if (listeners) {
    forEach(*listeners, [&](const Node& e, std::size_t) {
      out.listeners.push_back(decodeListener(e, out.metadata.namespace_));
    });
  }
  m.finish();
  if (m.valid() && out.listeners.empty()) spec.error("\"listeners\" needs at least one listener");
}

void decodeRouteTable(const Node& spec, RouteTable& out) {
  const auto& ns = out.metadata.namespace_;
  MapReader m(spec);
  if (auto v = m.take("hosts")) {
    out.hosts = readStringList(*v);
    for (std::size_t i = 0; i < out.hosts.size(); ++i) {
      if (!validHostPattern(out.hosts[i]))
        v->element(i).error(fmt::format(
            "\"{}\" is not a host name (a `*` is allowed only as the first character)", out.hosts[i]));
    }
  }
  auto vgs = m.take("virtualGateways");
  if (vgs) {
    forEach(*vgs, [&](const Node& e, std::size_t) {
      out.virtual_gateways.push_back(decodeObjectReference(e, ns));
    });
  }
  if (auto v = m.take("workloadSelectors")) {
    out.has_workload_selectors = !v->isNull() && (!v->isSequence() || v->yaml().size() > 0);
    if (!v->isNull() && !v->isSequence()) v->error("expected a list");
    if (out.has_workload_selectors) v->warning(fmt::format("ignored ({})", kMeshWhy));
  }
  if (auto v = m.take("applyToDestinations")) {
    if (!v->isNull() && (!v->isSequence() || v->yaml().size() > 0))
      v->warning(fmt::format("ignored ({})", kMeshWhy));
  }
  if (auto v = m.take("defaultDestination")) out.default_destination = decodeDestinationReference(*v, ns);
  if (auto v = m.take("http")) {
    forEach(*v, [&](const Node& e, std::size_t i) { out.http.push_back(decodeRoute(e, i, ns)); });
  }
  for (auto key : {"tcp", "tls"}) {
    if (auto v = m.take(key)) {
      if (!v->isNull() && (!v->isSequence() || v->yaml().size() > 0))
        v->warning("ignored (claimgate serves HTTP routes only)");
    }
  }
  if (auto v = m.take("weight")) out.weight = readInt32(*v).value_or(0);
  m.unsupported("portalMetadata", Severity::kWarning, "developer portal metadata");
  if (auto v = m.take("failureMode")) {
    static constexpr std::array<std::string_view, 2> kNames = {"ROUTE_REPLACEMENT", "FREEZE_CONFIG"};
    out.failure_mode = static_cast<FailureMode>(readEnum(*v, kNames).value_or(0));
    if (out.failure_mode == FailureMode::kFreezeConfig)
      v->warning("ignored (claimgate never applies a config with errors; a route it cannot serve "
                 "answers 500)");
  }
  m.unsupported("virtualServiceAnnotations", Severity::kWarning, "no Istio VirtualService is made");
  m.finish();
  if (!m.valid()) return;
  if (out.hosts.empty() && !out.virtual_gateways.empty())
    vgs->error("a RouteTable without \"hosts\" is a delegated child and cannot name "
               "virtualGateways");
  bool any_default = false;
  for (std::size_t i = 0; i < out.http.size(); ++i) {
    auto* f = std::get_if<ForwardToAction>(&out.http[i].action);
    if (f && f->destinations.empty()) {
      any_default = true;
      if (!out.default_destination)
        spec.child("http", spec.yaml()["http"])
            .element(i)
            .error("forwardTo has no destinations and the RouteTable has no defaultDestination");
    }
  }
  (void)any_default;
}

void decodeExternalService(const Node& spec, ExternalService& out) {
  MapReader m(spec);
  auto hosts = m.take("hosts");
  if (hosts) out.hosts = readStringList(*hosts);
  auto addrs = m.take("addresses");
  if (addrs) out.addresses = readStringList(*addrs);
  if (auto v = m.take("ports")) {
    forEach(*v, [&](const Node& e, std::size_t) {
      ExternalServicePort p;
      MapReader pm(e);
      auto number = pm.take("number");
      if (number) p.number = readUint32(*number, 1, 65535).value_or(0);
      if (auto x = pm.take("name")) p.name = readString(*x).value_or("");
      if (auto x = pm.take("protocol")) {
        p.protocol = readString(*x).value_or("");
        std::transform(p.protocol.begin(), p.protocol.end(), p.protocol.begin(),
                       [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
      }
      if (auto x = pm.take("targetPort")) p.target_port = decodePortSelector(*x);
      if (auto x = pm.take("clientsideTls")) {
        ClientsideTls t;
        MapReader tm(*x);
        if (auto y = tm.take("mode")) {
          static constexpr std::array<std::string_view, 4> kNames = {"DISABLE", "SIMPLE", "MUTUAL",
                                                                     "ISTIO_MUTUAL"};
          if (auto i = readEnum(*y, kNames)) t.mode = static_cast<ClientTlsMode>(*i + 1);
          if (t.mode == ClientTlsMode::kIstioMutual)
            y->error("not supported by claimgate: ISTIO_MUTUAL needs Istio's workload certificates");
        }
        if (auto y = tm.take("sni")) t.sni = readString(*y).value_or("");
        if (auto y = tm.take("clientCertificate")) t.client_certificate = readString(*y).value_or("");
        if (auto y = tm.take("privateKey")) t.private_key = readString(*y).value_or("");
        if (auto y = tm.take("caCertificates")) t.ca_certificates = readString(*y).value_or("");
        if (auto y = tm.take("credentialName")) {
          t.credential_name = readString(*y).value_or("");
          if (!t.credential_name.empty())
            y->warning("ignored (a Kubernetes secret name; use caCertificates / clientCertificate "
                       "file paths)");
        }
        if (auto y = tm.take("insecureSkipVerify")) t.insecure_skip_verify = readBool(*y).value_or(false);
        if (auto y = tm.take("subjectAltNames")) {
          t.subject_alt_names = readStringList(*y);
          if (!t.subject_alt_names.empty())
            y->warning("ignored (the upstream certificate is checked against the SNI host name)");
        }
        tm.finish();
        p.clientside_tls = std::move(t);
      }
      pm.unsupported("egressGatewayRoutes", Severity::kWarning, "egress gateways");
      pm.finish();
      if (pm.valid() && (!number || number->isNull())) e.error("\"number\" is required");
      out.ports.push_back(std::move(p));
    });
  }
  if (auto v = m.take("selector")) out.selector = readStringMap(*v);
  if (auto v = m.take("subjectAltNames")) {
    out.subject_alt_names = readStringList(*v);
    if (!out.subject_alt_names.empty())
      v->warning("ignored (the upstream certificate is checked against the SNI host name)");
  }
  m.finish();
  if (!m.valid()) return;
  if (!out.hosts.empty() && !out.addresses.empty())
    spec.error("set only one of \"hosts\" and \"addresses\"");
  if (out.hosts.empty() && out.addresses.empty())
    spec.error("an ExternalService needs \"hosts\" or \"addresses\"");
  if (out.ports.empty()) spec.error("\"ports\" needs at least one port");
}

void decodeExternalEndpoint(const Node& spec, ExternalEndpoint& out) {
  MapReader m(spec);
  auto addr = m.take("address");
  if (addr) out.address = readString(*addr).value_or("");
  if (auto v = m.take("ports")) {
    forEach(*v, [&](const Node& e, std::size_t) {
      ExternalEndpointPort p;
      MapReader pm(e);
      auto number = pm.take("number");
      if (number) p.number = readUint32(*number, 1, 65535).value_or(0);
      if (auto x = pm.take("name")) p.name = readString(*x).value_or("");
      pm.finish();
      if (pm.valid() && (!number || number->isNull())) e.error("\"number\" is required");
      out.ports.push_back(std::move(p));
    });
  }
  m.unsupported("locality", Severity::kWarning, "locality-aware load balancing");
  m.finish();
  if (m.valid() && out.address.empty()) spec.error("\"address\" is required");
}

}  // namespace claimgate::config::detail
