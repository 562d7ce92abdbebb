// Left-aligned text tables: columns two spaces apart, no trailing blanks.
#ifndef SPILLWAY_TOOLS_SPILLCTL_TABLE_H_
#define SPILLWAY_TOOLS_SPILLCTL_TABLE_H_

#include <string>
#include <vector>

namespace spillway::spillctl {

class Table {
 public:
  // No headers renders only the rows (used for "Key:  value" blocks).
  explicit Table(std::vector<std::string> headers = {});

  // Rows may be shorter than the header (the rest is blank) or longer.
  void AddRow(std::vector<std::string> cells);
  bool empty() const { return rows_.empty(); }

  // One line per row, each ending in '\n'. Widths count UTF-8 code points.
  std::string Render() const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// The placeholder shown for an empty cell.
inline constexpr char kNone[] = "-";

// Returns `text`, or kNone when it is empty.
std::string OrNone(const std::string& text);

}  // namespace spillway::spillctl

#endif  // SPILLWAY_TOOLS_SPILLCTL_TABLE_H_
