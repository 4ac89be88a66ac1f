#include "sim/event_log.hpp"

#include <cerrno>
#include <cstring>

#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sim/schema.hpp"

namespace shsim {

std::string csv_field(const std::string& text)
{
  if (text.find_first_of(",\"\n") == std::string::npos)
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
  return line.dump() + "\n";
}

EventLog::EventLog(const std::string& path, std::string format) : path_(path), format_(std::move(format))
{
  file_ = std::fopen(path.c_str(), "we");
  if (file_ == nullptr)
    throw InputError(fmt::format("{}: cannot write output file: {}", path, std::strerror(errno)));
  std::setvbuf(file_, nullptr, _IOFBF, 1 << 20);
  std::string header = event_log_header(format_);
  failed_            = std::fputs(header.c_str(), file_) < 0;
}

EventLog::~EventLog()
{
  if (file_ != nullptr)
    std::fclose(file_);
}

void EventLog::write(const EventRecord& event)
{
  std::string line = format_event(event, format_);
  failed_          = std::fwrite(line.data(), 1, line.size(), file_) != line.size() || failed_;
}

void EventLog::close()
{
  if (file_ == nullptr)
    return;
  bool ok = !failed_ && std::fflush(file_) == 0 && ::fsync(fileno(file_)) == 0;
  int error = errno;
  ok        = std::fclose(file_) == 0 && ok;
  file_     = nullptr;
  if (!ok)
    throw InputError(fmt::format("{}: write failed: {}", path_, std::strerror(error)));
}

}  // namespace shsim
