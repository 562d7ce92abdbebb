#include "tools/spillctl/table.h"

#include <algorithm>

namespace spillway::spillctl {
namespace {

size_t DisplayWidth(const std::string& text) {
  // Count bytes that start a UTF-8 sequence (everything but 10xxxxxx).
  return std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  });
}

void AppendLine(const std::vector<std::string>& cells,
                const std::vector<size_t>& widths, std::string* out) {
  // Trailing empty cells would only add trailing blanks.
  size_t last = cells.size();
  while (last > 0 && cells[last - 1].empty()) --last;
  for (size_t i = 0; i < last; ++i) {
    out->append(cells[i]);
    if (i + 1 < last) out->append(widths[i] - DisplayWidth(cells[i]) + 2, ' ');
  }
  out->push_back('\n');
}

}  // namespace

Table::Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}

void Table::AddRow(std::vector<std::string> cells) {
  rows_.push_back(std::move(cells));
}

std::string Table::Render() const {
  std::vector<size_t> widths(headers_.size(), 0);
  auto widen = [&widths](const std::vector<std::string>& cells) {
    if (cells.size() > widths.size()) widths.resize(cells.size(), 0);
    for (size_t i = 0; i < cells.size(); ++i) {
      widths[i] = std::max(widths[i], DisplayWidth(cells[i]));
    }
  };
  widen(headers_);
  for (const auto& row : rows_) widen(row);

  std::string out;
  if (!headers_.empty()) AppendLine(headers_, widths, &out);
  for (const auto& row : rows_) AppendLine(row, widths, &out);
  return out;
}

std::string OrNone(const std::string& text) {
  return text.empty() ? kNone : text;
}

}  // namespace spillway::spillctl
