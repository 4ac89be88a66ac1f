// The scenario: one typed schema with its defaults in one place. Every struct describes its keys
// once (see schema.hpp); load_scenario() fills them from YAML plus --set overrides and checks the
// cross-references (regions, validators, files) with errors that point at file:line:column.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "sim/application.hpp"
#include "sim/protocol.hpp"
#include "sim/regions.hpp"
#include "sim/schema.hpp"
#include "sim/units.hpp"

namespace shsim {

/// Extra one-way delay drawn per message on top of the path latency.
struct Jitter {
  std::string kind = "none";
  Duration max{0.010};     // uniform
  Duration mean{0.010};    // exponential
  Duration scale{0.005};   // pareto (Lomax): scale * (U^(-1/shape) - 1)
  double shape = 3.0;      // pareto

  template <class V> void describe_choice(V& v)
  {
    v.option("none", "no jitter: every message takes exactly its path latency", [](auto&) {});
    v.option("uniform", "uniform extra delay in [0, max]",
             [&](auto& o) { o.field("max", max, "largest extra delay", positive<Duration>()); });
    v.option("exponential", "exponential extra delay",
             [&](auto& o) { o.field("mean", mean, "mean extra delay", positive<Duration>()); });
    v.option("pareto", "heavy-tailed extra delay scale * (U^(-1/shape) - 1) (Pareto type II)", [&](auto& o) {
      o.field("scale", scale, "scale of the extra delay", positive<Duration>());
      o.field("shape", shape, "tail index; the mean exists for shape > 1", positive<double>());
    });
    v.option("simblock", "SimBlock's per-message latency: the path's mean latency m (ms) is replaced by a Pareto "
             "draw (m - 5) / U^(1/(0.2 m)), whose mean is about m (SimBlock NetworkConfiguration)",
             [](auto&) {});
  }
};

/// The peer-to-peer overlay graph (Boost.Graph).
struct Overlay {
  std::string kind = "complete";
  int degree          = 8;       // random_regular, small_world
  Fraction rewire{0.1};          // small_world
  int edges_per_node  = 4;       // scale_free
  std::string file;              // file (GraphML or DOT, vertices are node indices)

  template <class V> void describe_choice(V& v)
  {
    v.option("complete", "every node is a peer of every other node", [](auto&) {});
    v.option("random_regular", "random graph where every node has `degree` peers",
             [&](auto& o) { o.field("degree", degree, "peers per node", at_least<int>(1)); });
    v.option("small_world", "Watts-Strogatz ring lattice with rewired edges", [&](auto& o) {
      o.field("degree", degree, "ring neighbours per node (even)", at_least<int>(2));
      o.field("rewire", rewire, "probability to rewire each edge");
    });
    v.option("scale_free", "Barabasi-Albert preferential attachment", [&](auto& o) {
      o.field("edges_per_node", edges_per_node, "edges each new node attaches", at_least<int>(1));
    });
    v.option("bitcoin_2015",
             "each node opens outbound links to random peers, their number drawn from Bitcoin's 2015 "
             "distribution (1 to 20, median 8: SimBlock's DEGREE_DISTRIBUTION_BITCOIN_2015), and keeps the "
             "inbound links others open to it: degree about 17 on average",
             [](auto&) {});
    v.option("file", "read from GraphML (.graphml) or Graphviz DOT (.dot)",
             [&](auto& o) { o.field("path", file, "file path, relative to the scenario file"); });
  }
};

/// Which transport carries a message (recorded in the run metadata).
struct TransportPolicy {
  std::string mode = "auto";  // auto | latency | flow | queued
  Bytes flow_threshold{64 * 1024};
  std::string queue_frees = "transfer";  // transfer | arrival

  template <class V> void describe(V& v)
  {
    v.field("mode", mode,
            "auto: messages of at least flow_threshold bytes use the flow transport (SimGrid comms with "
            "bandwidth sharing), smaller ones the latency transport; latency or flow: one for all; queued: "
            "messages of at least flow_threshold bytes wait in the sender's upload queue and go one at a time "
            "at min(sender upload, receiver download) (SimBlock's model, no SimGrid flow: scales to 10 000 "
            "nodes), smaller ones take the latency transport",
            one_of({"auto", "latency", "flow", "queued"}));
    v.field("flow_threshold", flow_threshold, "size from which auto and queued modes treat a message as large");
    v.field("queue_frees", queue_frees,
            "queued mode: when the sender's upload queue takes its next message: once this one is transferred "
            "(transfer: the link is free again) or once it has arrived, path latency included (arrival: "
            "SimBlock's model, where the receiver's arrival handler starts the sender's next message)",
            one_of({"transfer", "arrival"}));
  }
};

struct AccessLink {
  Duration latency{0.005};
  Bandwidth upload{100e6};
  Bandwidth download{100e6};
  bool regional_bandwidth = false;

  template <class V> void describe(V& v)
  {
    v.field("latency", latency, "one-way latency of each node's own access link (counted at both ends)");
    v.field("upload", upload, "upload bandwidth of each node");
    v.field("download", download, "download bandwidth of each node");
    v.field("regional_bandwidth", regional_bandwidth,
            "take each node's upload and download from its region's figures in the latency matrix file "
            "(upload_bps, download_bps) instead of upload and download");
  }
};

struct NetworkConfig {
  std::string model = "CM02";
  std::string latency_matrix = "platforms/regions/simblock-2019.yaml";
  double latency_scale = 1;
  std::string platform_file;
  AccessLink access;
  Bandwidth backbone{10e9};
  Jitter jitter;
  Overlay overlay;
  bool allow_disconnected_overlay = false;
  TransportPolicy transport;

  template <class V> void describe(V& v)
  {
    v.field("model", model, "SimGrid network model: CM02, or LV08 with its latency/bandwidth factors set to 1",
            one_of({"CM02", "LV08"}));
    v.field("latency_matrix", latency_matrix, "inter-region latency matrix (YAML in platforms/regions/)");
    v.field("latency_scale", latency_scale,
            "multiplies every latency of the matrix, within and between regions (0.5: twice as close, 2: twice "
            "as far; access links unchanged): one axis for studies under latency",
            between<double>(0.01, 100));
    v.field("platform_file", platform_file,
            "optional SimGrid platform XML; nodes are placed on its hosts in order instead of building regions");
    v.field("access", access, "per-node access link");
    v.field("backbone", backbone, "bandwidth of each inter-region link", positive<Bandwidth>());
    v.field("jitter", jitter, "extra per-message delay");
    v.field("overlay", overlay, "peer-to-peer overlay graph");
    v.field("allow_disconnected_overlay", allow_disconnected_overlay, "accept an overlay with several components");
    v.field("transport", transport, "which transport carries which messages");
  }
};

/// How stake is spread over validators.
struct StakeDistribution {
  std::string kind = "equal";
  double alpha = 1.16;                // pareto
  std::vector<double> weights;         // list
  double mean = 400000, deviation = 100000;  // normal

  template <class V> void describe_choice(V& v)
  {
    v.option("equal", "every validator has the same stake", [](auto&) {});
    v.option("pareto", "Pareto(alpha) stakes drawn from the seed",
             [&](auto& o) { o.field("alpha", alpha, "tail index (1.16 is the 80/20 rule)", positive<double>()); });
    v.option("list", "explicit relative stakes, one per validator",
             [&](auto& o) { o.field("weights", weights, "relative stakes (length = count)"); });
    v.option("normal", "normal stakes (or hash power) drawn from the seed, kept above 1% of the mean (SimBlock "
             "draws mining power from normal(400000, 100000))",
             [&](auto& o) {
               o.field("mean", mean, "mean stake", positive<double>());
               o.field("deviation", deviation, "standard deviation", at_least<double>(0));
             });
  }
};

struct Validators {
  int count = 50;
  StakeDistribution stake;
  std::map<std::string, Fraction> placement;

  template <class V> void describe(V& v)
  {
    v.field("count", count, "number of validators", between<int>(1, 100000));
    v.field("stake", stake, "stake distribution");
    v.field("placement", placement, "share of validators per region (empty: spread evenly over all regions)");
  }
};

/// What the parent's stake is worth and what slashing takes: the inputs of the economic-security
/// summary (cost of corruption against the value child chains secure).
struct Economics {
  double stake_value = 0;  // total stake, in the scenario's currency; 0 = not stated
  Fraction slash_equivocation{0.05};
  Fraction slash_downtime{0.01};
  double fee_per_byte        = 0;
  double fee_per_transaction = 0;

  template <class V> void describe(V& v)
  {
    v.field("stake_value", stake_value, "value of all the parent's stake, in the scenario's currency (0: not stated)",
            at_least<double>(0));
    v.field("slash_equivocation", slash_equivocation,
            "share of stake slashed for double signing (Cosmos SDK x/slashing default 5%)");
    v.field("slash_downtime", slash_downtime, "share of stake slashed for downtime (Cosmos SDK default 1%)");
    v.field("fee_per_byte", fee_per_byte, "fee a parent transaction pays per byte", at_least<double>(0));
    v.field("fee_per_transaction", fee_per_transaction, "fee a parent transaction pays on top", at_least<double>(0));
  }
};

struct ParentChain {
  std::string name = "parent";
  ProtocolChoice protocol;
  Validators validators;
  Economics economics;

  template <class V> void describe(V& v)
  {
    v.field("name", name, "chain name used in metrics and expectations");
    v.field("protocol", protocol, "consensus protocol and its parameters");
    v.field("validators", validators, "validator set");
    v.field("economics", economics, "stake value, slashing and fees");
  }
};

struct Workload {
  std::string chain = "parent";
  std::string kind  = "transaction";
  Rate rate{1};
  Bytes size{300};
  std::string arrivals = "poisson";  // poisson | fixed
  Duration from{0};
  std::optional<Duration> until;

  template <class V> void describe(V& v)
  {
    v.field("chain", chain, "chain that receives the transactions");
    v.field("kind", kind,
            "transaction; deposit (from the parent into `chain`, through its bridge); withdrawal (from `chain` "
            "to the parent)",
            one_of({"transaction", "deposit", "withdrawal"}));
    v.field("rate", rate, "transactions per unit of time");
    v.field("size", size, "bytes per transaction", positive<Bytes>());
    v.field("arrivals", arrivals, "poisson or fixed inter-arrival times", one_of({"poisson", "fixed"}));
    v.field("from", from, "first submission time");
    v.field("until", until, "last submission time (default: the end of the run)");
  }
};

struct Detectors {
  Duration stall_threshold{60};
  Duration warmup{0};
  template <class V> void describe(V& v)
  {
    v.field("stall_threshold", stall_threshold, "a chain without a commit for longer counts a liveness stall",
            positive<Duration>());
    v.field("warmup", warmup,
            "start-up period left out of every distribution (what was proposed, submitted or begun before it) and "
            "of the liveness detector (which starts watching at its end); counts still cover the whole run",
            at_least<Duration>(0));
  }
};

/// output.messages records every message: refused above this many nodes.
constexpr int max_message_recording_nodes = 200;

struct Output {
  std::string events    = "csv";  // csv | jsonl | none
  std::string timelines = "csv";  // csv | none
  std::vector<std::string> event_kinds;  // empty: every kind
  std::string timeseries = "csv";  // csv | none
  Duration sample_interval{0};     // 0: auto (auto_sample_interval, sim/series.hpp)
  bool trace    = false;           // trace.json for Perfetto
  bool messages = false;           // message-level recording (small runs only)
  template <class V> void describe(V& v)
  {
    v.field("events", events, "event log format: csv, jsonl or none", one_of({"csv", "jsonl", "none"}));
    v.field("event_kinds", event_kinds,
            "record only these event kinds (`shsim events` lists them with their fields; empty: every kind)");
    v.field("timelines", timelines,
            "child-chain transaction timelines (timelines.csv: one row per transaction, one column per stage "
            "in seconds since submission): csv or none",
            one_of({"csv", "none"}));
    v.field("timeseries", timeseries,
            "each chain's state sampled over time (timeseries.csv: time, chain, series, value; `shsim series` "
            "lists the series): csv or none",
            one_of({"csv", "none"}));
    v.field("sample_interval", sample_interval,
            "time between two samples of timeseries.csv (0: about 500 samples over the run)", at_least<Duration>(0));
    v.field("trace", trace,
            "also write trace.json, Chrome's trace-event format: open it in ui.perfetto.dev or chrome://tracing");
    v.field("messages", messages,
            "record every message sent as an event (`message`; `message_arrived` for the flow transport): for "
            "small runs only, at most 200 nodes and about 2 million events");
  }
};

/// A bridge between the parent and one child chain, served by relayers.
struct BridgeConfig {
  std::string name;
  std::string child;
  int relayers = 1;
  Duration poll_interval{12};
  std::string region;
  Bytes claim_bytes{300};
  double tvl = 0;
  bool replay_protection = true;
  bool require_finality  = true;

  template <class V> void describe(V& v)
  {
    v.field("name", name, "bridge name (default: <child>-bridge)");
    v.field("child", child, "the child chain it connects to the parent");
    v.field("relayers", relayers, "relayer actors (any one can deliver a message)", between<int>(1, 1000));
    v.field("poll_interval", poll_interval, "how often each relayer looks for messages to carry", positive<Duration>());
    v.field("region", region, "region of the relayers (default: spread over the regions)");
    v.field("claim_bytes", claim_bytes, "size of a withdrawal claim on the parent", positive<Bytes>());
    v.field("tvl", tvl, "value locked in the bridge: what corrupting the child chain can steal", at_least<double>(0));
    v.field("replay_protection", replay_protection, "the destination refuses a message delivered twice");
    v.field("require_finality", require_finality,
            "the destination refuses a message not yet final at its source (deposit: parent finality; "
            "withdrawal: settled state root)");
  }
};

struct Scenario {
  std::string name = "unnamed";
  std::string description;
  long long seed = 1;
  Duration duration{3600};
  NetworkConfig network;
  ParentChain parent;
  std::vector<ChildChoice> children;
  std::vector<BridgeConfig> bridges;
  std::vector<Workload> workload;
  std::vector<AppChoice> applications;
  std::vector<AdversaryChoice> adversaries;
  Detectors detectors;
  std::vector<std::string> expect;
  Output output;

  // Filled by the loader, not by the user.
  std::string source_file;                   // the scenario file as given
  YAML::Node source_root;                    // the document as read (with --set applied), for where()
  SourceContext source_context;              // file name and --set values, for where()
  /// "file:line:col: key.path" (or "--set key=value: key.path") for a key of the scenario, to
  /// start an error message with; the closest enclosing key's place when the key was not written.
  std::string where(const std::string& key_path) const;
  std::string base_dir;                      // directory used to resolve relative paths
  std::vector<std::string> expect_locations;  // "file:line:col" of each expectation
  std::vector<std::string> adversary_locations;  // "file:line:col" of each adversary's `from`
  RegionMatrix regions;                       // network.latency_matrix, loaded and checked
  std::string platform_xml;  // network.platform_file as SimGrid may read it (sim/platform_file.hpp)

  template <class V> void describe(V& v)
  {
    v.field("name", name, "scenario name (default output directory results/<name>/)");
    v.field("description", description, "what the scenario shows");
    v.field("seed", seed, "master seed; every random stream derives from it", at_least<long long>(0));
    v.field("duration", duration, "simulated time", positive<Duration>());
    v.field("network", network, "regions, links, jitter, overlay and transports");
    v.field("parent", parent, "the parent chain");
    v.field("children", children, "child chains secured by the parent, one kind each (listed below as children[] = <kind>)");
    v.field("bridges", bridges, "bridges carrying deposits and withdrawals between the parent and a child");
    v.field("workload", workload, "transaction sources");
    v.field("applications", applications,
            "what runs on the chains: price processes, oracle networks, venues, collateral; one kind each, built in "
            "order, each naming only those before it (listed below as applications[] = <kind>)");
    v.field("adversaries", adversaries, "timed misbehaviours, one kind each (listed below as adversaries[] = <kind>)");
    v.field("detectors", detectors, "safety and liveness detectors");
    v.field("expect", expect, "assertions on summary metrics, e.g. 'parent.safety_violations == 0'");
    v.field("output", output, "what the run writes");
  }

  /// The child chain of that name, or null.
  const ChildChoice* child(const std::string& chain) const;
  /// The application of that name, or null.
  const AppChoice* application(const std::string& name) const;
  /// "applications[i].<kind>" for the application of that name, to build key paths for where().
  std::string application_path(const std::string& name) const;
  /// An InputError at `key` (inside the application's entry, "regimes[0].until") with `reason`.
  [[noreturn]] void fail_application(const std::string& name, const std::string& key, const std::string& reason) const;
  /// Resolves a path named in the scenario: relative to the scenario file, else to the working
  /// directory, else to shsim's source tree (which holds platforms/).
  std::string resolve_path(const std::string& path) const;
};

/// A scenario or chain name that can become a folder name: letters, digits, '.', '_', '-'.
bool safe_file_name(const std::string& name);
/// Every node (role) a run of the scenario creates: validators, each child's roles, each bridge's relayers.
int scenario_node_count(const Scenario& scenario);
/// Loads, overrides (`key.path=value`), validates. Throws InputError with a one-line message.
Scenario load_scenario(const std::string& file, const std::vector<std::string>& overrides);
/// The same for a scenario already read into memory; `file` names it in errors and anchors relative
/// paths (the fuzzers use it).
Scenario load_scenario_text(const std::string& text, const std::string& file,
                            const std::vector<std::string>& overrides);
/// Warnings from the parent protocol and every child chain about questionable parameters (may throw
/// InputError for parameters that cannot run).
std::vector<std::string> review_scenario(const Scenario& scenario);
/// The fully resolved scenario as YAML (defaults filled).
std::string dump_scenario(const Scenario& scenario);
/// Every key with its default and help text.
std::vector<std::string> document_schema();

}  // namespace shsim
