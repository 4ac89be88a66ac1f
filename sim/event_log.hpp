// The event log: one record per notable event (a block, a root posted, a dispute move, a crash),
// written as CSV or JSON lines. `shsim run` streams it into the output set's staging folder as the
// run goes, so a long run holds no event in memory; tests keep events in memory instead.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

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

// ---- Event kinds: each declares its fields, like parameters and metrics ----

/// How a field is written and read back: integer, real (with `decimals`), hex id (16 digits), flag
/// (true/false) or text (the last field only: it runs to the end of the detail).
enum class FieldType { integer, real, hex, flag, text };
std::string field_type_name(FieldType type);

struct EventField {
  std::string name;
  FieldType type = FieldType::integer;
  std::string unit;     // "s", "bytes", "" for none
  std::string meaning;
  int decimals = 6;     // reals only
};

/// One event kind: what it means, what its height and round columns hold, and its fields, which
/// the detail column carries as `name=value` pairs in this order (a kind whose only field is text
/// carries the bare text).
struct EventKindSpec {
  std::string name;
  std::string meaning;
  std::string height;  // what the height column holds ("" : unused, -1)
  std::string round;   // what the round column holds ("" : unused, -1)
  std::vector<EventField> fields;
};

/// A field's value, given as an integer, a double or a string; the kind's declaration says how it
/// is written.
struct FieldValue {
  uint64_t bits = 0;  // integers, hex ids and flags, exact
  double real   = 0;
  std::string text;
  FieldValue() = default;
  template <class T>
    requires std::is_integral_v<T>
  FieldValue(T value) : bits(static_cast<uint64_t>(value)), real(static_cast<double>(value))
  {
  }
  FieldValue(double value) : real(value) {}
  FieldValue(std::string value) : text(std::move(value)) {}
  FieldValue(const char* value) : text(value) {}
};

/// Declares an event kind (models at registration, the engine for its own); declaring a name again
/// keeps the first declaration. Throws std::logic_error for a text field that is not last.
void declare_event(EventKindSpec spec);
/// Declares `<role>_down` and `<role>_up`, which Simulation::schedule_outage records.
void declare_outage_events(const std::string& role, const std::string& who);
/// The declaration of a kind (null when undeclared).
const EventKindSpec* find_event(const std::string& name);
/// Every declared kind, sorted by name (`shsim events`).
std::vector<const EventKindSpec*> event_kinds();
/// The detail column of an event of that kind; throws std::logic_error when the values do not
/// match the declaration.
std::string format_detail(const EventKindSpec& spec, const std::vector<FieldValue>& values);
/// The fields of an event read back from its detail column, as JSON values (numbers, booleans,
/// hex ids as 16-digit strings, text); throws InputError when the detail does not match.
nlohmann::json parse_detail(const EventKindSpec& spec, const std::string& detail);
/// The dictionary of event kinds, as printed by `shsim events` (text) or `--json`.
std::string format_event_dictionary(bool json);

/// A CSV field, quoted when it holds a comma, a quote or a newline.
std::string csv_field(const std::string& text);
/// The cells of one CSV line (without its newline), quotes undone: the reverse of csv_field.
std::vector<std::string> csv_cells(const std::string& line);
/// The first line of a log of that format ("" for jsonl).
std::string event_log_header(const std::string& format);
/// One record as a line of that format ("csv" or "jsonl"), newline included. A JSON line also
/// carries the kind's fields, typed, under "fields".
std::string format_event(const EventRecord& event, const std::string& format);
/// Reads one CSV line of the event log (without its newline) back into a record.
EventRecord parse_event_csv(const std::string& line);

/// Reads a whole event log back (events.csv or events.jsonl, by its name); throws InputError naming
/// the file and line when it cannot.
std::vector<EventRecord> read_event_log(const std::string& path);

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
  int error_       = 0;  // errno of the first failed write (0: none)
};

}  // namespace shsim
