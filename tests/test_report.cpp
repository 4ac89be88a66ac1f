// Looking at a run (issue 12): time series, message-level recording, the narration (--explain), the
// Perfetto trace checked against the trace-event format's rules, and the HTML report opened in
// Debian's headless Chromium with the network off.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "models/registry.hpp"
#include "sim/event_log.hpp"
#include "tests/support.hpp"

namespace fs = std::filesystem;
using shsim::testing::fresh_directory;
using shsim::testing::read_csv;
using shsim::testing::read_file;
using shsim::testing::run_shsim;
using shsim::testing::source_path;

namespace {

using Row = std::map<std::string, std::string>;

/// A run of `scenario` (a path in the source tree) with extra arguments into a fresh folder.
std::string run_into(const std::string& scenario, const std::string& arguments, int expected_exit = 0)
{
  std::string out = fresh_directory();
  int code        = run_shsim("run " + source_path(scenario) + " --quiet --out " + out + " " + arguments);
  REQUIRE(code == expected_exit);
  return out;
}

/// One series of one chain from timeseries.csv: (time, value) in time order.
std::vector<std::pair<double, double>> series(const std::vector<Row>& rows, const std::string& chain, const std::string& name)
{
  std::vector<std::pair<double, double>> out;
  for (const auto& row : rows)
    if (row.at("chain") == chain && row.at("series") == name)
      out.emplace_back(std::stod(row.at("time")), std::stod(row.at("value")));
  return out;
}

// ---- the trace-event format's rules ----------------------------------------------------------------

struct TraceCheck {
  std::vector<std::string> problems;
  std::map<std::string, size_t> slices_named;  // B events by name prefix (the first word)
  size_t flows = 0, asyncs = 0, counters = 0, instants = 0;
};

/// Checks a trace against the rules of Chrome's trace-event format (the document "Trace Event
/// Format", Google, as Perfetto's JSON importer reads it): an object with a traceEvents array; each
/// event a phase `ph`; timed events a number `ts` and a `pid`; B/E (duration) and i events a `tid`,
/// B and E properly nested on each track with nondecreasing timestamps; b/e (async) paired by
/// category and id; s/f (flow) paired by id, each end inside a slice of its track; M metadata
/// naming every process and track used.
TraceCheck check_trace(const nlohmann::json& trace)
{
  TraceCheck c;
  auto fail = [&](const std::string& what) {
    if (c.problems.size() < 20)
      c.problems.push_back(what);
  };
  if (!trace.is_object() || !trace.contains("traceEvents") || !trace["traceEvents"].is_array()) {
    fail("no traceEvents array");
    return c;
  }
  std::map<std::pair<int, int>, std::vector<std::pair<double, double>>> open;  // track -> stack of (start, ...)
  std::map<std::pair<int, int>, double> last_ts;
  std::map<std::pair<int, int>, std::vector<std::pair<double, double>>> done;  // closed slices per track
  std::set<int> pids_used, pids_named;
  std::set<std::pair<int, int>> tracks_used, tracks_named;
  std::map<std::string, double> async_open;
  std::map<long long, std::tuple<int, int, double>> flow_start;
  std::vector<std::tuple<int, int, double>> flow_ends;
  for (const auto& e : trace["traceEvents"]) {
    if (!e.contains("ph") || !e["ph"].is_string()) {
      fail("an event without ph");
      continue;
    }
    std::string ph = e["ph"];
    if (ph == "M") {
      std::string name = e.value("name", "");
      if (name == "process_name")
        pids_named.insert(e["pid"].get<int>());
      if (name == "thread_name")
        tracks_named.insert({e["pid"].get<int>(), e["tid"].get<int>()});
      continue;
    }
    if (!e.contains("ts") || !e["ts"].is_number() || e["ts"].get<double>() < 0 || !e.contains("pid")) {
      fail("a timed event without ts or pid: " + e.dump());
      continue;
    }
    double ts = e["ts"].get<double>();
    int pid   = e["pid"].get<int>();
    pids_used.insert(pid);
    if (ph == "B" || ph == "E" || ph == "i") {
      if (!e.contains("tid")) {
        fail("a " + ph + " event without tid");
        continue;
      }
      std::pair<int, int> track{pid, e["tid"].get<int>()};
      tracks_used.insert(track);
      if (last_ts.count(track) && ts < last_ts[track])
        fail("timestamps go back on track " + std::to_string(track.first) + "/" + std::to_string(track.second));
      last_ts[track] = ts;
      if (ph == "B") {
        open[track].push_back({ts, 0});
        std::string name = e.value("name", "");
        ++c.slices_named[name.substr(0, name.find(' '))];
      } else if (ph == "E") {
        if (open[track].empty()) {
          fail("an E without its B");
          continue;
        }
        done[track].push_back({open[track].back().first, ts});
        open[track].pop_back();
      } else {
        ++c.instants;
      }
    } else if (ph == "b" || ph == "e") {
      std::string key = e.value("cat", "") + "/" + std::to_string(e["id"].get<long long>()) + "/" + std::to_string(pid);
      if (ph == "b") {
        if (async_open.count(key))
          fail("an async slice begun twice: " + key);
        async_open[key] = ts;
      } else if (!async_open.count(key) || async_open[key] > ts) {
        fail("an async end without its begin: " + key);
      } else {
        async_open.erase(key);
        ++c.asyncs;
      }
    } else if (ph == "s" || ph == "f") {
      long long id = e["id"].get<long long>();
      std::tuple<int, int, double> end{pid, e["tid"].get<int>(), ts};
      tracks_used.insert({pid, e["tid"].get<int>()});
      if (ph == "s") {
        flow_start[id] = end;
      } else if (!flow_start.count(id) || std::get<2>(flow_start[id]) > ts) {
        fail("a flow end without its start, or before it");
      } else {
        flow_ends.push_back(flow_start[id]);
        flow_ends.push_back(end);
        ++c.flows;
      }
    } else if (ph == "C") {
      ++c.counters;
      if (!e.contains("args") || !e["args"].is_object() || e["args"].empty())
        fail("a counter without values");
    } else {
      fail("an unexpected phase " + ph);
    }
  }
  for (const auto& [track, stack] : open)
    if (!stack.empty())
      fail("a B without its E on track " + std::to_string(track.first) + "/" + std::to_string(track.second));
  if (!async_open.empty())
    fail("async slices never ended");
  for (int pid : pids_used)
    if (!pids_named.count(pid))
      fail("process " + std::to_string(pid) + " has no process_name");
  for (const auto& track : tracks_used)
    if (!tracks_named.count(track))
      fail("track " + std::to_string(track.first) + "/" + std::to_string(track.second) + " has no thread_name");
  // A flow binds to the slice enclosing each of its ends on that track.
  for (const auto& [pid, tid, ts] : flow_ends) {
    const auto& slices = done[{pid, tid}];
    bool inside        = std::any_of(slices.begin(), slices.end(), [ts = ts](const auto& s) { return s.first <= ts && ts <= s.second; });
    if (!inside) {
      fail("a flow end outside every slice of its track");
      break;
    }
  }
  return c;
}

// ---- the browser --------------------------------------------------------------------------------

struct PageCheck {
  bool ready = false;
  int charts = 0, canvases = 0, drawn = 0;
  std::vector<std::string> errors;
  std::string png;  // the screenshot's path
  std::string dom;  // the page as the browser built it
  std::vector<std::string> titles;  // each chart's title, as Chart.js holds it
};

std::string unescape_html(std::string text)
{
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{{"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&amp;", "&"}}) {
    size_t at = 0;
    while ((at = text.find(from, at)) != std::string::npos) {
      text.replace(at, from.size(), to);
      at += to.size();
    }
  }
  return text;
}

/// Opens `html` in Debian's headless Chromium with every request refused (a proxy on a closed port,
/// no name resolution; the page's own Content-Security-Policy forbids requests too). Before the
/// page's scripts, the test's own script records every error, console.error and blocked request;
/// after them, it counts the canvases, Chart.js's charts and, for each canvas, its painted pixels.
PageCheck open_in_chromium(const std::string& html)
{
  const std::string chromium = "/usr/bin/chromium";
  if (!fs::exists(chromium))
    FAIL("Debian's chromium is not installed (tools/setup --tests installs it)");
  std::string page = read_file(html);
  const std::string watch =
      "<script>window.__errors=[];addEventListener('error',function(e){__errors.push('error: '+e.message)});"
      "document.addEventListener('securitypolicyviolation',function(e){__errors.push('blocked: '+e.blockedURI)});"
      "(function(){var ce=console.error;console.error=function(){__errors.push('console.error: '+"
      "Array.prototype.join.call(arguments,' '));ce.apply(console,arguments)}})();</script>";
  const std::string count =
      "<script>(function(){var out={ready:document.body.dataset.ready==='true',charts:(window.shsimCharts||[]).length,"
      "titles:(window.shsimCharts||[]).map(function(c){return String(c.options.plugins.title.text)}),"
      "canvases:0,drawn:0,errors:window.__errors};document.querySelectorAll('canvas').forEach(function(c){out.canvases++;"
      "var d=c.getContext('2d').getImageData(0,0,c.width,c.height).data,n=0;for(var i=3;i<d.length;i+=4)if(d[i]>0)n++;"
      "if(n>2000)out.drawn++;});var p=document.createElement('pre');p.id='shsim-check';p.textContent=JSON.stringify(out);"
      "document.body.appendChild(p);})();</script>";
  size_t head = page.find("<head>");
  size_t body = page.rfind("</body>");
  REQUIRE(head != std::string::npos);
  REQUIRE(body != std::string::npos);
  page.insert(body, count);
  page.insert(head + 6, watch);
  std::string dir  = fresh_directory();
  fs::create_directories(dir);
  std::string copy = dir + "/page.html";
  std::ofstream(copy) << page;
  const std::string offline = " --headless --no-sandbox --disable-gpu --hide-scrollbars --proxy-server=127.0.0.1:9 "
                              "--host-resolver-rules='MAP * ~NOTFOUND' --virtual-time-budget=10000 ";
  std::string dom = dir + "/dom.html";
  REQUIRE(std::system((chromium + offline + "--dump-dom file://" + copy + " > " + dom + " 2>/dev/null").c_str()) == 0);
  PageCheck check;
  std::string text = read_file(dom);
  check.dom        = text;
  std::smatch match;
  REQUIRE(std::regex_search(text, match, std::regex("<pre id=\"shsim-check\">([^<]*)</pre>")));
  auto result    = nlohmann::json::parse(unescape_html(match[1].str()));
  check.ready    = result["ready"].get<bool>();
  check.charts   = result["charts"].get<int>();
  check.canvases = result["canvases"].get<int>();
  check.drawn    = result["drawn"].get<int>();
  for (const auto& e : result["errors"])
    check.errors.push_back(e.get<std::string>());
  for (const auto& t : result["titles"])
    check.titles.push_back(t.get<std::string>());
  check.png = dir + "/screenshot.png";
  REQUIRE(std::system((chromium + offline + "--window-size=1280,6000 --screenshot=" + check.png + " file://" + html +
                       " > /dev/null 2>&1").c_str()) == 0);
  return check;
}

void require_every_chart_drawn(const PageCheck& page, int at_least)
{
  INFO("errors: " << (page.errors.empty() ? std::string("none") : page.errors[0]));
  CHECK(page.errors.empty());
  CHECK(page.ready);
  CHECK(page.canvases >= at_least);
  CHECK(page.charts == page.canvases);
  CHECK(page.drawn == page.canvases);
  std::string png = read_file(page.png);
  REQUIRE(png.size() > 50000);
  CHECK(png.substr(1, 3) == "PNG");
}

}  // namespace

TEST_CASE("time series: the parent's finality lag climbs through a partition and falls when it heals, heads stand still "
          "meanwhile",
          "[report][series]")
{
  // scenarios/partition.yaml: no side holds 2/3 from 2 min to 5 min, so nothing becomes final then.
  std::string out = run_into("scenarios/partition.yaml", "");
  auto rows       = read_csv(out + "/timeseries.csv");
  auto lag        = series(rows, "parent", "finality_lag");
  auto final_head = series(rows, "parent", "head.final");
  REQUIRE(lag.size() > 100);
  double inside_max = 0, after_max = 0;
  double head_at_start = -1, head_at_end = -1;
  for (size_t i = 0; i < lag.size(); ++i) {
    auto [t, value] = lag[i];
    if (t > 130 && t < 300)
      inside_max = std::max(inside_max, value);
    if (t > 330)
      after_max = std::max(after_max, value);
    if (t >= 130 && head_at_start < 0)
      head_at_start = final_head[i].second;
    if (t < 300)
      head_at_end = final_head[i].second;
  }
  CHECK(inside_max > 160);         // the lag grows with the stall
  CHECK(after_max < 10);           // and falls back once blocks are final again
  CHECK(head_at_start == head_at_end);  // no block becomes final inside the partition
  for (const auto& [t, share] : series(rows, "parent", "stake.online"))
    CHECK(share == 1.0);
}

TEST_CASE("time series: a child's heads keep their order (unsafe >= safe >= finalized >= settled) and the crashed "
          "validator's stake is offline",
          "[report][series]")
{
  std::string out = run_into("scenarios/rollups.yaml", "--set duration=40m expect=[]");
  auto rows       = read_csv(out + "/timeseries.csv");
  for (const std::string chain : {"op", "zk"}) {
    auto unsafe = series(rows, chain, "head.unsafe"), safe = series(rows, chain, "head.safe"),
         finalized = series(rows, chain, "head.finalized"), settled = series(rows, chain, "head.settled");
    REQUIRE(unsafe.size() > 100);
    REQUIRE(unsafe.size() == settled.size());
    for (size_t i = 0; i < unsafe.size(); ++i) {
      CHECK(unsafe[i].second >= safe[i].second);
      CHECK(safe[i].second >= finalized[i].second);
      CHECK(finalized[i].second >= settled[i].second);
    }
    CHECK(unsafe.back().second > 1000);  // a block every 2 s for 40 min
    CHECK(settled.back().second > 0);
  }
  // scenarios/teach/02-crashed-proposer.yaml: one of four equal validators is down from the start.
  std::string crashed = run_into("scenarios/teach/02-crashed-proposer.yaml", "");
  for (const auto& [t, share] : series(read_csv(crashed + "/timeseries.csv"), "parent", "stake.online"))
    CHECK(share == Approx(0.75));
}

TEST_CASE("message-level recording: every message sent is an event, and the counts agree with the network's",
          "[report][messages]")
{
  std::string out = run_into("scenarios/teach/01-happy-path.yaml", "--set output.messages=true duration=20s expect=[]");
  shsim::models::register_all();  // declares the event kinds
  auto events     = shsim::read_event_log(out + "/events.csv");
  auto summary    = nlohmann::json::parse(read_file(out + "/summary.json"));
  const auto* spec = shsim::find_event("message");
  REQUIRE(spec != nullptr);
  std::map<int, size_t> sent;
  size_t prevotes = 0;
  for (const auto& e : events)
    if (e.event == "message") {
      ++sent[e.node];
      auto f = shsim::parse_detail(*spec, e.detail);
      CHECK(f["arrives"].get<double>() >= e.time);  // nothing is dropped here
      prevotes += f["kind"] == "prevote" ? 1 : 0;
    }
  // summary.json's messages_per_node is the network's own count (sim/network.cpp).
  const auto& per_node = summary["chains"]["parent"]["messages_per_node"];
  size_t total         = 0;
  for (const auto& [node, count] : sent)
    total += count;
  CHECK(static_cast<double>(total) == Approx(per_node["mean"].get<double>() * 4));
  // Four validators broadcasting to all four (themselves included): 4 x 4 prevotes per round.
  CHECK(prevotes % 16 == 0);
  CHECK(prevotes >= 16 * summary["chains"]["parent"]["blocks_committed"].get<size_t>());
}

TEST_CASE("the narration of --explain tells a crashed proposer's heights, the votes' shares and a partition's sides from the typed events",
          "[report][explain]")
{
  std::string out  = run_into("scenarios/teach/02-crashed-proposer.yaml", "--explain");
  std::string text = read_file(out + "/explain.txt");
  auto summary     = nlohmann::json::parse(read_file(out + "/summary.json"));
  // Every height with an extra round is one whose round-0 proposer, validator 0, is down.
  size_t failed = 0, at = 0;
  while ((at = text.find("fails to start: the proposer, validator 0, is down", at)) != std::string::npos) {
    ++failed;
    ++at;
  }
  CHECK(failed >= 5);
  CHECK(text.find("every validator waits timeout_propose (3 s) and prevotes nil") != std::string::npos);
  // Three live validators of four equal ones: 75 % of the power votes, more than 2/3.
  CHECK(text.find("validators holding 75 % of the power prevoted it") != std::string::npos);
  CHECK(text.find("validators holding 75 % of the power prevoted nil") != std::string::npos);
  CHECK(text.find("validator 0 crashes") != std::string::npos);
  CHECK(summary["chains"]["parent"]["heights_with_extra_rounds"].get<int>() >= 10);

  std::string partition = read_file(run_into("scenarios/teach/03-partition.yaml", "--explain") + "/explain.txt");
  CHECK(partition.find("side 1 (2 validators, 50 % of the stake); side 2 (2 validators, 50 % of the stake)") != std::string::npos);
  CHECK(partition.find("No side holds more than 67 % of the stake") != std::string::npos);
  CHECK(partition.find("the partition heals") != std::string::npos);

  std::string rollup = read_file(run_into("scenarios/teach/07-invalid-root-caught.yaml", "--explain") + "/explain.txt");
  CHECK(rollup.find("it is WRONG") != std::string::npos);
  CHECK(rollup.find("a challenger disputes root") != std::string::npos);
  CHECK(rollup.find("move 9 by the challenger") != std::string::npos);  // depth 8: the ninth move is the step proof
  CHECK(rollup.find("(one-step proof): the wrong state never settles") != std::string::npos);
}

TEST_CASE("the trace follows the trace-event format: nested slices, paired async slices and flows, named tracks",
          "[report][trace]")
{
  SECTION("Tendermint with a crashed proposer and every message")
  {
    std::string out = run_into("scenarios/teach/02-crashed-proposer.yaml", "--set output.trace=true output.messages=true duration=30s expect=[]");
    auto trace      = nlohmann::json::parse(read_file(out + "/trace.json"));
    TraceCheck c    = check_trace(trace);
    INFO((c.problems.empty() ? std::string() : c.problems[0]));
    CHECK(c.problems.empty());
    CHECK(c.slices_named["height"] >= 10);
    CHECK(c.slices_named["round"] >= c.slices_named["height"]);
    CHECK(c.slices_named["crashed"] == 1);  // validator 0, the whole run
    CHECK(c.flows == trace["otherData"]["messages_drawn"].get<size_t>());
    CHECK(c.flows > 300);
    CHECK(c.counters > 0);
  }
  SECTION("Gasper: slots nested in epochs, an outage")
  {
    std::string out = run_into("scenarios/teach/09-gasper-finality-and-leak.yaml", "--set output.trace=true duration=40m expect=[]");
    TraceCheck c    = check_trace(nlohmann::json::parse(read_file(out + "/trace.json")));
    INFO((c.problems.empty() ? std::string() : c.problems[0]));
    CHECK(c.problems.empty());
    CHECK(c.slices_named["slot"] == 199);  // 40 min of 12 s slots: 1 to 199 (slot 0 is genesis)
    CHECK(c.slices_named["epoch"] >= 6);
    CHECK(c.slices_named["crashed"] == 4);  // 40 % of ten equal validators, from minute 20
  }
  SECTION("two rollups: roots from posting to settlement, proving jobs")
  {
    std::string out = run_into("scenarios/rollups.yaml", "--set output.trace=true duration=40m expect=[]");
    auto trace      = nlohmann::json::parse(read_file(out + "/trace.json"));
    auto summary    = nlohmann::json::parse(read_file(out + "/summary.json"));
    TraceCheck c    = check_trace(trace);
    INFO((c.problems.empty() ? std::string() : c.problems[0]));
    CHECK(c.problems.empty());
    CHECK(c.asyncs == summary["chains"]["op"]["roots"]["posted"].get<size_t>());
    CHECK(c.slices_named["prove"] >= summary["chains"]["zk"]["proofs"]["proving_time"]["count"].get<size_t>());
    CHECK(c.instants > 1000);  // child blocks, commits, batches
  }
}

TEST_CASE("the report of scenarios/rollups.yaml opens offline in Chromium and every chart draws", "[report][browser]")
{
  std::string out = run_into("scenarios/rollups.yaml", "");
  REQUIRE(run_shsim("report " + out) == 0);
  PageCheck page = open_in_chromium(out + "/report.html");
  // Parent: 6 charts; each rollup: heads, lags and 1-2 stage CDFs; regions: 2.
  require_every_chart_drawn(page, 14);
}

TEST_CASE("a narrated run's report shows the sequence diagram, and a study's report draws every metric against each "
          "axis, offline",
          "[report][browser]")
{
  std::string out = run_into("scenarios/teach/03-partition.yaml", "--explain --report");
  std::string html = read_file(out + "/report.html");
  CHECK(html.find("Content-Security-Policy") != std::string::npos);
  require_every_chart_drawn(open_in_chromium(out + "/report.html"), 7);

  std::string sweep = fresh_directory();
  REQUIRE(run_shsim("sweep " + source_path("scenarios/studies/tendermint-timeouts.yaml") +
                    " --reps 2 --set duration=1m --quiet -j 2 --out " + sweep) == 0);
  REQUIRE(run_shsim("report " + source_path("scenarios/studies/tendermint-timeouts.yaml") + " --out " + sweep) == 0);
  // 7 metrics x 2 axes.
  require_every_chart_drawn(open_in_chromium(sweep + "/report.html"), 14);
}

TEST_CASE("a derivatives lesson's report draws staleness and liquidations and bad debt over time with the adversary's "
          "window and the crash shaded",
          "[report][browser]")
{
  // Lesson 12: the price regime (a 20 % crash from 1 h to 70 min) and the sequencer_delay window
  // (55 to 80 min) are shaded on every chart; the venue's section draws its price against the
  // reference, the staleness of its price, liquidations, bad debt, the insurance fund and open
  // interest, and the table of what it rests on names its weakest link.
  std::string out  = run_into("scenarios/teach/12-sequencer-delays-liquidations.yaml", "--report");
  PageCheck page   = open_in_chromium(out + "/report.html");
  require_every_chart_drawn(page, 20);
  // Section headings and the shaded windows' note are the page's own text, built by its script.
  for (const char* heading : {"<h2>Application: perp (perp_venue)</h2>", "<h2>Application: eth-oracle (oracle_network)</h2>",
                              "Shaded: sequencer_delay (op) 3,300–" "4,800 s; price regime (eth-usd, move -20%) 3,600–" "4,200 s"}) {
    INFO(heading);
    CHECK(page.dom.find(heading) != std::string::npos);
  }
  for (const char* title : {"Staleness: age of the price the venue uses", "Liquidations so far", "Bad debt so far",
                            "Insurance fund"}) {
    INFO(title);
    CHECK(std::find(page.titles.begin(), page.titles.end(), title) != page.titles.end());
  }
  CHECK(std::regex_search(page.dom, std::regex("What perp rests on \\(the weakest link: oracle eth-oracle\\)")));
}
