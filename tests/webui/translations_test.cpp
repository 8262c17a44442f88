// The dashboard's words in Dutch, German and French (webui/frontend/src/i18n.js, keyed by the
// English text): every label, help text and unit in words of the configuration schema and every
// literal app.js shows through t() has an entry in each language, and no entry changes the
// {placeholders} of its key. The checks read the files as the browser gets them; the first tests
// prove on small texts that the reader and the checks find what they must.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/config/config_schema.hpp"
#include "gateway/control/messages.hpp"
#include "tests/support/process.hpp"

namespace emsgw::test {
namespace {

const std::vector<std::string> kLanguages = {"nl", "de", "fr"};

/// Language → English key → translation.
using Table = std::map<std::string, std::map<std::string, std::string>>;

struct ParsedTable {
  Table table;
  std::vector<std::string> problems;  ///< lines the reader did not understand, duplicate keys
};

void append_utf8(std::string& out, unsigned cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

/// The text of a JavaScript string literal's body (without its quotes).
std::string unescape_js(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out += s[i];
      continue;
    }
    const char c = s[++i];
    switch (c) {
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'u':
        if (i + 4 < s.size()) {
          append_utf8(out, static_cast<unsigned>(std::stoul(std::string(s.substr(i + 1, 4)), nullptr, 16)));
          i += 4;
        }
        break;
      default: out += c;  // \" \' \\ \/
    }
  }
  return out;
}

/// Reads the table of i18n.js: `  nl: {` opens a language, `  },` closes it, and inside one entry
/// `"English": "translation",` a line, comments and blank lines. Anything else is a problem, so
/// that an entry written another way cannot pass unseen.
ParsedTable parse_i18n(const std::string& text) {
  static const std::regex open(R"re(^  ([a-z]{2}): \{\s*$)re");
  static const std::regex close(R"re(^  \},?\s*$)re");
  static const std::regex entry(R"re(^\s*"((?:[^"\\]|\\.)*)"\s*:\s*"((?:[^"\\]|\\.)*)",?\s*$)re");
  static const std::regex skip(R"re(^\s*(//.*)?$)re");
  ParsedTable out;
  std::istringstream in(text);
  std::string line, language;
  std::smatch m;
  for (int n = 1; std::getline(in, line); ++n) {
    if (language.empty()) {
      if (std::regex_match(line, m, open)) {
        language = m[1];
        if (out.table.contains(language))
          out.problems.push_back("line " + std::to_string(n) + ": " + language + " twice");
        out.table[language];
      }
      continue;
    }
    if (std::regex_match(line, close)) {
      language.clear();
    } else if (std::regex_match(line, m, entry)) {
      const auto key = unescape_js(m[1].str());
      if (!out.table[language].emplace(key, unescape_js(m[2].str())).second)
        out.problems.push_back("line " + std::to_string(n) + ": " + language + " has \"" + key + "\" twice");
    } else if (!std::regex_match(line, skip)) {
      out.problems.push_back("line " + std::to_string(n) + " is not an entry: " + line);
    }
  }
  if (!language.empty()) out.problems.push_back(language + " is not closed");
  return out;
}

/// The string literals app.js passes as the first argument of t() or of field() (which shows its
/// label through t()), unescaped, in order of appearance.
std::vector<std::string> shown_literals(const std::string& app_js) {
  static const std::regex call(R"re(\b(?:t|field)\(\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"))re");
  std::vector<std::string> out;
  for (auto it = std::sregex_iterator(app_js.begin(), app_js.end(), call); it != std::sregex_iterator(); ++it)
    out.push_back(unescape_js((*it)[1].matched ? (*it)[1].str() : (*it)[2].str()));
  return out;
}

/// "`what` "key": no nl, fr entry" for each key some language lacks (empty keys need none).
std::vector<std::string> missing_entries(const Table& table,
                                         const std::vector<std::pair<std::string, std::string>>& keys) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto& [what, key] : keys) {
    if (key.empty() || !seen.insert(key).second) continue;
    std::string langs;
    for (const auto& lang : kLanguages) {
      const auto t = table.find(lang);
      if (t == table.end() || !t->second.contains(key)) langs += (langs.empty() ? "" : ", ") + lang;
    }
    if (!langs.empty()) out.push_back(what + " \"" + key + "\": no " + langs + " entry");
  }
  return out;
}

std::multiset<std::string> placeholders(const std::string& s) {
  static const std::regex braces(R"re(\{(\w+)\})re");
  std::multiset<std::string> out;
  for (auto it = std::sregex_iterator(s.begin(), s.end(), braces); it != std::sregex_iterator(); ++it)
    out.insert((*it)[1].str());
  return out;
}

/// Entries whose {placeholders} are not those of their English key.
std::vector<std::string> placeholder_mismatches(const Table& table) {
  std::vector<std::string> out;
  for (const auto& [lang, entries] : table)
    for (const auto& [key, text] : entries)
      if (placeholders(key) != placeholders(text)) out.push_back(lang + " \"" + key + "\" → \"" + text + "\"");
  return out;
}

std::string source(const std::string& relative) {
  return read_file(std::string(EMSGW_SOURCE_DIR) + "/" + relative);
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += "\n  " + l;
  return out;
}

// --- The reader and the checks on small texts ---

TEST(TranslationChecks, ReaderTakesEntriesAndRefusesLinesItCannotRead) {
  const auto parsed = parse_i18n(
      "const I18N = {\n"
      "  nl: {\n"
      "    // a comment\n"
      "    \"Say \\\"hi\\\"\": \"Zeg \\\"hoi\\\"\",\n"
      "\n"
      "    \"EVs\": \"Auto\\u2019s\",\n"
      "    'Single': 'quoted',\n"
      "    \"EVs\": \"Wagens\",\n"
      "  },\n"
      "  de: {\n"
      "    \"EVs\": \"E-Autos\",\n"
      "  },\n"
      "};\n");
  EXPECT_EQ(parsed.table.at("nl").at("Say \"hi\""), "Zeg \"hoi\"");
  EXPECT_EQ(parsed.table.at("nl").at("EVs"), "Auto’s") << "the first of two entries is kept";
  EXPECT_EQ(parsed.table.at("de").at("EVs"), "E-Autos");
  ASSERT_EQ(parsed.problems.size(), 2u) << joined(parsed.problems);
  EXPECT_NE(parsed.problems[0].find("line 7 is not an entry"), std::string::npos) << parsed.problems[0];
  EXPECT_NE(parsed.problems[1].find("nl has \"EVs\" twice"), std::string::npos) << parsed.problems[1];
}

TEST(TranslationChecks, LiteralsOfTAndFieldAreFoundAndOtherCallsAreNot) {
  const auto literals = shown_literals(
      "x = t('Log in'); y = t(\"It's\"); z = t('Don\\'t', { n: 1 }); w = t(label);\n"
      "field('Host', grid, 'host'); rt('Not shown'); format('no'); h('td', {}, t( 'spaced' ));\n");
  EXPECT_EQ(literals, (std::vector<std::string>{"Log in", "It's", "Don't", "Host", "spaced"}));
}

TEST(TranslationChecks, MissingEntriesNameTheKeyAndTheLanguages) {
  const Table table = {{"nl", {{"Save", "Opslaan"}, {"Cancel", "Annuleren"}}},
                       {"de", {{"Save", "Speichern"}}},
                       {"fr", {{"Save", "Enregistrer"}}}};
  const auto missing =
      missing_entries(table, {{"label", "Save"}, {"label", "Cancel"}, {"help", ""}, {"t()", "Cancel"}});
  EXPECT_EQ(missing, (std::vector<std::string>{"label \"Cancel\": no de, fr entry"}));
}

TEST(TranslationChecks, PlaceholderMismatchesAreFound) {
  const Table table = {{"de", {{"{n} of {m}", "{n} von {m}"}, {"limit {limit}", "Grenze {grenze}"}}},
                       {"fr", {{"{n} of {m}", "{n} sur"}, {"plain", "{x}"}}}};
  EXPECT_EQ(placeholder_mismatches(table),
            (std::vector<std::string>{"de \"limit {limit}\" → \"Grenze {grenze}\"", "fr \"plain\" → \"{x}\"",
                                      "fr \"{n} of {m}\" → \"{n} sur\""}));
}

/// The MESSAGES table of i18n.js: message code → English template, one `  "code": "template",`
/// a line between `const MESSAGES = {` and `};`. Lines it cannot read go to `problems`.
std::map<std::string, std::string> parse_messages(const std::string& text, std::vector<std::string>* problems) {
  static const std::regex entry(R"re(^  "([a-z0-9_]+)": "((?:[^"\\]|\\.)*)",?\s*$)re");
  static const std::regex skip(R"re(^\s*(//.*)?$)re");
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  std::string line;
  bool inside = false;
  std::smatch m;
  while (std::getline(in, line)) {
    if (!inside) {
      inside = line == "const MESSAGES = {";
      continue;
    }
    if (line == "};") break;
    if (std::regex_match(line, m, entry)) {
      if (!out.emplace(m[1].str(), unescape_js(m[2].str())).second) problems->push_back(m[1].str() + " twice");
    } else if (!std::regex_match(line, skip)) {
      problems->push_back("not an entry: " + line);
    }
  }
  return out;
}

TEST(TranslationChecks, MessageReaderTakesTheCodesOfTheMessagesTableOnly) {
  std::vector<std::string> problems;
  const auto table = parse_messages(
      "const I18N = {\n  nl: {\n    \"x\": \"y\",\n  },\n};\n"
      "const MESSAGES = {\n"
      "  // faults\n"
      "  \"plug_in\": \"socket {socket}: EV \\\"in\\\"\",\n"
      "  plug_out: 'no',\n"
      "  \"plug_in\": \"again\",\n"
      "};\n"
      "  \"after\": \"the table\",\n",
      &problems);
  EXPECT_EQ(table, (std::map<std::string, std::string>{{"plug_in", "socket {socket}: EV \"in\""}}));
  EXPECT_EQ(problems, (std::vector<std::string>{"not an entry:   plug_out: 'no',", "plug_in twice"}));
}

// --- The dashboard's files ---

ParsedTable dashboard_table() {
  const auto text = source("webui/frontend/src/i18n.js");
  EXPECT_FALSE(text.empty()) << "webui/frontend/src/i18n.js not readable";
  return parse_i18n(text);
}

TEST(Translations, TableReadsCleanlyWithDutchGermanAndFrench) {
  const auto parsed = dashboard_table();
  EXPECT_TRUE(parsed.problems.empty()) << "i18n.js:" << joined(parsed.problems);
  for (const auto& lang : kLanguages) {
    ASSERT_TRUE(parsed.table.contains(lang)) << "no " << lang << " table in i18n.js";
    EXPECT_GT(parsed.table.at(lang).size(), 100u) << lang;
  }
}

TEST(Translations, EverySchemaLabelAndHelpHasDutchGermanAndFrench) {
  std::vector<std::pair<std::string, std::string>> keys;
  for (const auto& f : gateway::config_schema()) {
    keys.emplace_back("label of " + f.path(), std::string(f.label));
    keys.emplace_back("help of " + f.path(), std::string(f.help));
  }
  for (const auto& f : gateway::schedule_schema()) {
    keys.emplace_back("label of " + f.path(), std::string(f.label));
    keys.emplace_back("help of " + f.path(), std::string(f.help));
  }
  ASSERT_GT(keys.size(), 100u);
  const auto missing = missing_entries(dashboard_table().table, keys);
  EXPECT_TRUE(missing.empty()) << missing.size() << " schema texts without a translation:" << joined(missing);
}

/// Units that are words ("days", "per kWh") are shown through t(); symbols (A, ms, kW) are not.
bool unit_is_word(std::string_view unit) {
  static const std::regex word(R"re([a-z]{3,})re");
  return std::regex_search(unit.begin(), unit.end(), word);
}

TEST(Translations, EverySchemaUnitInWordsHasDutchGermanAndFrench) {
  std::vector<std::pair<std::string, std::string>> keys;
  for (const auto& f : gateway::config_schema())
    if (unit_is_word(f.unit)) keys.emplace_back("unit of " + f.path(), std::string(f.unit));
  for (const auto& f : gateway::schedule_schema())
    if (unit_is_word(f.unit)) keys.emplace_back("unit of " + f.path(), std::string(f.unit));
  ASSERT_FALSE(keys.empty()) << "no unit in words in the schema: the check would check nothing";
  EXPECT_FALSE(unit_is_word("kW"));
  EXPECT_FALSE(unit_is_word("ms"));
  const auto missing = missing_entries(dashboard_table().table, keys);
  EXPECT_TRUE(missing.empty()) << missing.size() << " units without a translation:" << joined(missing);
  const auto app = source("webui/frontend/src/app.js");
  EXPECT_NE(app.find("t(f.unit)"), std::string::npos) << "the settings form shows the schema's unit through t()";
}

TEST(Translations, EveryLiteralAppJsShowsThroughTHasDutchGermanAndFrench) {
  const auto app = source("webui/frontend/src/app.js");
  ASSERT_FALSE(app.empty()) << "webui/frontend/src/app.js not readable";
  const auto literals = shown_literals(app);
  ASSERT_GT(literals.size(), 50u) << "the pattern no longer finds the t('…') calls of app.js";
  std::vector<std::pair<std::string, std::string>> keys;
  for (const auto& l : literals) keys.emplace_back("app.js literal", l);
  const auto missing = missing_entries(dashboard_table().table, keys);
  EXPECT_TRUE(missing.empty()) << missing.size() << " literals without a translation:" << joined(missing);
}

TEST(Translations, EveryEntryKeepsThePlaceholdersOfItsKey) {
  const auto parsed = dashboard_table();
  std::size_t with_placeholders = 0;
  for (const auto& [lang, entries] : parsed.table)
    with_placeholders += static_cast<std::size_t>(
        std::count_if(entries.begin(), entries.end(), [](const auto& e) { return !placeholders(e.first).empty(); }));
  EXPECT_GT(with_placeholders, 0u) << "no key with a {placeholder}: the check would check nothing";
  const auto wrong = placeholder_mismatches(parsed.table);
  EXPECT_TRUE(wrong.empty()) << wrong.size() << " entries with other placeholders than their key:" << joined(wrong);
}

TEST(Translations, EveryMessageCodeTheServerEmitsHasATemplateWithItsParametersInEveryLanguage) {
  const auto text = source("webui/frontend/src/i18n.js");
  std::vector<std::string> problems;
  const auto templates = parse_messages(text, &problems);
  EXPECT_TRUE(problems.empty()) << "MESSAGES in i18n.js:" << joined(problems);
  const auto& codes = gateway::message_codes();
  ASSERT_GT(codes.size(), 20u);
  std::set<std::string_view> seen;
  std::vector<std::string> wrong;
  std::vector<std::pair<std::string, std::string>> keys;
  for (const auto& c : codes) {
    if (!seen.insert(c.code).second) wrong.push_back(std::string(c.code) + ": listed twice");
    const auto it = templates.find(std::string(c.code));
    if (it == templates.end()) {
      wrong.push_back(std::string(c.code) + ": no template in MESSAGES");
      continue;
    }
    std::multiset<std::string> names;
    for (const auto& n : c.names) names.insert(std::string(n));
    if (placeholders(it->second) != names)
      wrong.push_back(std::string(c.code) + ": \"" + it->second +
                      "\" has other {placeholders} than the server's parameters");
    keys.emplace_back("template of " + std::string(c.code), it->second);
  }
  EXPECT_TRUE(wrong.empty()) << wrong.size() << " message codes:" << joined(wrong);
  // Dutch, German and French for each template, with its placeholders (the check above on the
  // whole table covers the placeholders of every entry).
  const auto missing = missing_entries(dashboard_table().table, keys);
  EXPECT_TRUE(missing.empty()) << missing.size() << " templates without a translation:" << joined(missing);
  const auto app = source("webui/frontend/src/app.js");
  EXPECT_NE(app.find("serverText(e)"), std::string::npos) << "the events list shows events through their template";
  EXPECT_NE(app.find("serverText(f)"), std::string::npos) << "the banner shows faults through their template";
}

TEST(Translations, MessageParametersAreFilledInTheCodesOrder) {
  const auto m = gateway::msg::unplug_energy("1", "carport", "12.50");
  EXPECT_EQ(m.code, "unplug_energy");
  EXPECT_EQ(m.params, (std::vector<std::pair<std::string, std::string>>{
                          {"socket", "1"}, {"station", "carport"}, {"kwh", "12.50"}}));
  EXPECT_TRUE(gateway::msg::pv_stale().params.empty());
}

}  // namespace
}  // namespace emsgw::test
