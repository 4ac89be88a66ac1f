#include "sim/event_log.hpp"

#include <fstream>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <map>
#include <stdexcept>

#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sim/schema.hpp"

namespace shsim {

namespace {
std::map<std::string, EventKindSpec>& catalog()
{
  static std::map<std::string, EventKindSpec> kinds;
  return kinds;
}
}  // namespace

std::string field_type_name(FieldType type)
{
  switch (type) {
    case FieldType::integer:
      return "integer";
    case FieldType::real:
      return "real";
    case FieldType::hex:
      return "hex";
    case FieldType::flag:
      return "flag";
    case FieldType::text:
      break;
  }
  return "text";
}

void declare_event(EventKindSpec spec)
{
  for (size_t f = 0; f + 1 < spec.fields.size(); ++f)
    if (spec.fields[f].type == FieldType::text)
      throw std::logic_error("event kind " + spec.name + ": a text field must be the last");
  std::string name = spec.name;
  catalog().emplace(name, std::move(spec));
}

void declare_outage_events(const std::string& role, const std::string& who)
{
  declare_event({role + "_down", "a " + who + " went offline (a scheduled outage of that role)", "", "", {}});
  declare_event({role + "_up", "the " + who + " came back online", "", "", {}});
}

const EventKindSpec* find_event(const std::string& name)
{
  auto found = catalog().find(name);
  return found == catalog().end() ? nullptr : &found->second;
}

std::vector<const EventKindSpec*> event_kinds()
{
  std::vector<const EventKindSpec*> all;
  for (const auto& entry : catalog())
    all.push_back(&entry.second);
  return all;
}

std::string format_detail(const EventKindSpec& spec, const std::vector<FieldValue>& values)
{
  if (values.size() != spec.fields.size())
    throw std::logic_error(fmt::format("event {}: {} values for {} declared fields", spec.name, values.size(),
                                       spec.fields.size()));
  if (spec.fields.size() == 1 && spec.fields[0].type == FieldType::text)
    return values[0].text;
  std::string out;
  for (size_t f = 0; f < spec.fields.size(); ++f) {
    const EventField& field = spec.fields[f];
    const FieldValue& value = values[f];
    if (f > 0)
      out += ' ';
    out += field.name;
    out += '=';
    switch (field.type) {
      case FieldType::integer:
        out += std::to_string(static_cast<long long>(value.bits));
        break;
      case FieldType::real:
        out += fmt::format("{:.{}f}", value.real, field.decimals);
        break;
      case FieldType::hex:
        out += fmt::format("{:016x}", value.bits);
        break;
      case FieldType::flag:
        out += value.bits != 0 ? "true" : "false";
        break;
      case FieldType::text:
        out += value.text;
        break;
    }
  }
  return out;
}

nlohmann::json parse_detail(const EventKindSpec& spec, const std::string& detail)
{
  nlohmann::json fields = nlohmann::json::object();
  if (spec.fields.size() == 1 && spec.fields[0].type == FieldType::text) {
    fields[spec.fields[0].name] = detail;
    return fields;
  }
  size_t at = 0;
  auto bad  = [&](const std::string& why) {
    return InputError(fmt::format("event {}: detail '{}': {}", spec.name, detail, why));
  };
  for (size_t f = 0; f < spec.fields.size(); ++f) {
    const EventField& field = spec.fields[f];
    std::string prefix      = (f > 0 ? " " : "") + field.name + "=";
    if (detail.compare(at, prefix.size(), prefix) != 0)
      throw bad("expected '" + field.name + "='");
    at += prefix.size();
    size_t end        = field.type == FieldType::text ? detail.size() : std::min(detail.find(' ', at), detail.size());
    std::string value = detail.substr(at, end - at);
    at                = end;
    try {
      size_t used = 0;
      switch (field.type) {
        case FieldType::integer:
          fields[field.name] = std::stoll(value, &used);
          break;
        case FieldType::real:
          fields[field.name] = std::stod(value, &used);
          break;
        case FieldType::hex:
          std::stoull(value, &used, 16);
          fields[field.name] = value;
          break;
        case FieldType::flag:
          if (value != "true" && value != "false")
            throw bad(field.name + " is not true or false");
          fields[field.name] = value == "true";
          used               = value.size();
          break;
        case FieldType::text:
          fields[field.name] = value;
          used               = value.size();
          break;
      }
      if (used != value.size())
        throw bad(field.name + " is not a " + field_type_name(field.type));
    } catch (const std::logic_error&) {
      throw bad(field.name + " is not a " + field_type_name(field.type));
    }
  }
  if (at != detail.size())
    throw bad("unexpected text after the last field");
  return fields;
}

std::string format_event_dictionary(bool json)
{
  if (json) {
    nlohmann::json all = nlohmann::json::array();
    for (const EventKindSpec* kind : event_kinds()) {
      nlohmann::json fields = nlohmann::json::array();
      for (const auto& f : kind->fields) {
        nlohmann::json field = {{"name", f.name}, {"type", field_type_name(f.type)}, {"unit", f.unit}, {"meaning", f.meaning}};
        if (f.type == FieldType::real)
          field["decimals"] = f.decimals;
        fields.push_back(field);
      }
      all.push_back({{"event", kind->name}, {"meaning", kind->meaning}, {"height", kind->height},
                     {"round", kind->round}, {"fields", fields}});
    }
    return all.dump(2) + "\n";
  }
  std::string out = "Event kinds (events.csv: time,chain,node,event,height,round,detail; the detail holds the fields\n"
                    "as name=value pairs in this order, or the bare text when a kind's only field is text):\n";
  for (const EventKindSpec* kind : event_kinds()) {
    out += fmt::format("\n{}: {}\n", kind->name, kind->meaning);
    if (!kind->height.empty())
      out += fmt::format("  height: {}\n", kind->height);
    if (!kind->round.empty())
      out += fmt::format("  round: {}\n", kind->round);
    for (const auto& f : kind->fields)
      out += fmt::format("  {:<30} {:<8} {}{}\n", f.name, field_type_name(f.type), f.meaning,
                         f.unit.empty() ? std::string() : " (" + f.unit + ")");
  }
  return out;
}

std::string csv_field(const std::string& text)
{
  if (text.find_first_of(",\"\n\r") == std::string::npos)
    return text;
  std::string quoted = "\"";
  for (char c : text)
    quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

std::string event_log_header(const std::string& format)
{
  return format == "csv" ? "time,chain,node,event,height,round,detail\n" : "";
}

std::string format_event(const EventRecord& e, const std::string& format)
{
  if (format == "csv")
    return fmt::format("{:.6f},{},{},{},{},{},{}\n", e.time, csv_field(e.chain), e.node, e.event, e.height, e.round,
                       csv_field(e.detail));
  nlohmann::json line = {{"time", e.time},     {"chain", e.chain}, {"node", e.node},    {"event", e.event},
                         {"height", e.height}, {"round", e.round}, {"detail", e.detail}};
  if (const EventKindSpec* spec = find_event(e.event))
    line["fields"] = parse_detail(*spec, e.detail);
  return line.dump() + "\n";
}

std::vector<std::string> csv_cells(const std::string& line)
{
  std::vector<std::string> cells(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cells.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cells.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      cells.emplace_back();
    } else {
      cells.back() += c;
    }
  }
  return cells;
}

EventRecord parse_event_csv(const std::string& line)
{
  std::vector<std::string> cells = csv_cells(line);
  if (cells.size() != 7)
    throw InputError(fmt::format("event log line '{}': {} columns, not 7", line, cells.size()));
  return {std::stod(cells[0]), cells[1], std::stoi(cells[2]), cells[3], std::stoll(cells[4]), std::stoi(cells[5]),
          cells[6]};
}

std::vector<EventRecord> read_event_log(const std::string& path)
{
  std::ifstream in(path);
  if (!in)
    throw InputError(fmt::format("{}: cannot read the event log: {}", path, std::strerror(errno)));
  bool jsonl = path.size() > 6 && path.substr(path.size() - 6) == ".jsonl";
  std::vector<EventRecord> events;
  std::string line;
  size_t number = 0;
  if (!jsonl && std::getline(in, line))
    ++number;  // the header
  while (std::getline(in, line)) {
    ++number;
    if (line.empty())
      continue;
    try {
      if (!jsonl) {
        events.push_back(parse_event_csv(line));
      } else {
        auto j = nlohmann::json::parse(line);
        events.push_back({j.at("time").get<double>(), j.at("chain").get<std::string>(), j.at("node").get<int>(),
                          j.at("event").get<std::string>(), j.at("height").get<long long>(), j.at("round").get<int>(),
                          j.at("detail").get<std::string>()});
      }
    } catch (const std::exception& e) {
      throw InputError(fmt::format("{}:{}: not a line of shsim's event log: {}", path, number, e.what()));
    }
  }
  return events;
}

EventLog::EventLog(const std::string& path, std::string format) : path_(path), format_(std::move(format))
{
  file_ = std::fopen(path.c_str(), "we");
  if (file_ == nullptr)
    throw environment_error("cannot write", path, errno);
  std::setvbuf(file_, nullptr, _IOFBF, 1 << 20);
  std::string header = event_log_header(format_);
  if (std::fputs(header.c_str(), file_) < 0)
    error_ = errno != 0 ? errno : EIO;
}

EventLog::~EventLog()
{
  if (file_ != nullptr)
    std::fclose(file_);
}

void EventLog::write(const EventRecord& event)
{
  std::string line = format_event(event, format_);
  if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() && error_ == 0)
    error_ = errno != 0 ? errno : EIO;  // the first failure says why (a full disk, usually)
}

void EventLog::close()
{
  if (file_ == nullptr)
    return;
  if (error_ == 0 && (std::fflush(file_) != 0 || ::fsync(fileno(file_)) != 0))
    error_ = errno;
  if (std::fclose(file_) != 0 && error_ == 0)
    error_ = errno;
  file_ = nullptr;
  if (error_ != 0)
    throw environment_error("write failed", path_, error_);
}

}  // namespace shsim
