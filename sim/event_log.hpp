// The event log: one record per notable event (a block, a root posted, a dispute move, a crash),
// written as CSV or JSON lines. `shsim run` streams it into the output set's staging folder as the
// run goes, so a long run holds no event in memory; tests keep events in memory instead.
#pragma once

#include <cstdio>
#include <string>

namespace shsim {

/// One line of the event log.
struct EventRecord {
  double time;
  std::string chain;
  int node;  // -1: not tied to one node
  std::string event;
  long long height;
  int round;
  std::string detail;
};

/// A CSV field, quoted when it holds a comma, a quote or a newline.
std::string csv_field(const std::string& text);
/// The first line of a log of that format ("" for jsonl).
std::string event_log_header(const std::string& format);
/// One record as a line of that format ("csv" or "jsonl"), newline included.
std::string format_event(const EventRecord& event, const std::string& format);

/// Appends records to a file as they come (buffered); close() flushes and syncs it.
class EventLog {
public:
  /// Throws InputError when the file cannot be created.
  EventLog(const std::string& path, std::string format);
  ~EventLog();
  EventLog(const EventLog&)            = delete;
  EventLog& operator=(const EventLog&) = delete;
  void write(const EventRecord& event);
  /// Flushes and fsyncs; throws InputError on a write error (a full disk).
  void close();

private:
  std::string path_, format_;
  std::FILE* file_ = nullptr;
  bool failed_     = false;
};

}  // namespace shsim
