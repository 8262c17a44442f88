#pragma once
// The dashboard's English template of each message code (MESSAGES in webui/frontend/src/i18n.js)
// and the text it gives with a message's parameters, as the dashboard's t() fills it: tests hold
// it against the English text the gateway writes beside the message.

#include <map>
#include <regex>
#include <sstream>
#include <string>

#include "ems/site_status.hpp"
#include "tests/support/process.hpp"

namespace emsgw::test {

/// Code → English template, read from i18n.js (`  "code": "template",` lines of MESSAGES).
inline const std::map<std::string, std::string>& english_templates() {
  static const std::map<std::string, std::string> table = [] {
    const auto text = read_file(std::string(EMSGW_SOURCE_DIR) + "/webui/frontend/src/i18n.js");
    static const std::regex entry(R"re(^  "([a-z0-9_]+)": "((?:[^"\\]|\\.)*)",\s*$)re");
    std::map<std::string, std::string> out;
    const auto start = text.find("const MESSAGES = {");
    std::istringstream in(start == std::string::npos ? std::string() : text.substr(start));
    std::string line;
    std::smatch m;
    while (std::getline(in, line) && line != "};")
      if (std::regex_match(line, m, entry)) {
        // The templates use no escape but \" and \\.
        std::string t;
        const auto raw = m[2].str();
        for (std::size_t i = 0; i < raw.size(); ++i) t += raw[i] == '\\' && i + 1 < raw.size() ? raw[++i] : raw[i];
        out[m[1].str()] = t;
      }
    return out;
  }();
  return table;
}

/// The English template of `code` with `params` filled in; a marker where a template or a
/// parameter is missing, so that a comparison with the gateway's text fails and says why.
inline std::string render_english(const std::string& code, const std::map<std::string, std::string>& params) {
  const auto it = english_templates().find(code);
  if (it == english_templates().end()) return "(no template for " + code + ")";
  static const std::regex braces(R"re(\{(\w+)\})re");
  const auto& t = it->second;
  std::string out;
  std::size_t last = 0;
  for (auto m = std::sregex_iterator(t.begin(), t.end(), braces); m != std::sregex_iterator(); ++m) {
    out += t.substr(last, static_cast<std::size_t>(m->position()) - last);
    const auto p = params.find((*m)[1].str());
    out += p != params.end() ? p->second : "{" + (*m)[1].str() + "?}";
    last = static_cast<std::size_t>(m->position() + m->length());
  }
  return out + t.substr(last);
}

inline std::string render_english(const ems::Message& m) {
  std::map<std::string, std::string> params;
  for (const auto& [name, value] : m.params) params[name] = value;
  return render_english(m.code, params);
}

}  // namespace emsgw::test
