// Power-cut safety: a writer process is SIGKILLed at random moments, many times over, while it
// writes in batched transactions. Afterwards PRAGMA integrity_check must say "ok" and every batch
// the writer reported as committed must be there, whole.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "gateway/storage/sqlite_store.hpp"
#include "tests/support/process.hpp"

namespace emsgw::gateway::storage {
namespace {

struct RunResult {
  std::vector<std::int64_t> committed;
  bool killed = false;
};

/// Starts the writer, kills it `after` its start (or after its first commit report), and returns
/// what it reported.
RunResult run_and_kill(const std::string& writer, const std::string& db, const char* mode, bool after_first_commit,
                       std::chrono::milliseconds after) {
  int fds[2];
  if (::pipe(fds) != 0) return {};
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], STDOUT_FILENO);
    ::close(fds[0]);
    ::close(fds[1]);
    ::execl(writer.c_str(), writer.c_str(), db.c_str(), mode, static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(fds[1]);
  std::string out;
  char buf[4096];
  if (after_first_commit) {
    // Wait (bounded) for the first commit report, so that the kill lands mid-write even when
    // the machine is slow to start the writer.
    pollfd pfd{fds[0], POLLIN, 0};
    while (out.find('\n') == std::string::npos && ::poll(&pfd, 1, 5000) > 0) {
      const ssize_t n = ::read(fds[0], buf, sizeof buf);
      if (n <= 0) break;
      out.append(buf, static_cast<std::size_t>(n));
    }
  }
  std::this_thread::sleep_for(after);
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  RunResult r;
  r.killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
  std::istringstream lines(out);
  for (std::string l; std::getline(lines, l);)
    if (!l.empty()) r.committed.push_back(std::stoll(l));
  return r;
}

TEST(StorageCrash, EveryCommittedBatchSurvivesRepeatedSigkill) {
  namespace fs = std::filesystem;
  const auto dir = fs::temp_directory_path() / ("emsgw-crash-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string db = (dir / "emsgw.sqlite").string();
  const std::string writer = test::built("tests/storage/storage_crash_writer");
  ASSERT_TRUE(fs::exists(writer)) << writer;

  std::mt19937 rng(20261123);
  std::uniform_int_distribution<int> delay_ms(15, 90);
  constexpr int kKills = 25;
  std::set<std::int64_t> committed;
  int killed = 0;
  int runs_with_commits = 0;
  for (int i = 0; i < kKills; ++i) {
    // Both synchronous modes: FULL and NORMAL each keep a commit through a process crash.
    // Every other run is killed at a random time from its start (possibly while it opens or
    // migrates); the others at a random time after their first commit.
    const bool after_commit = i % 4 >= 2;
    auto r = run_and_kill(writer, db, i % 2 == 0 ? "normal" : "full", after_commit,
                          std::chrono::milliseconds(after_commit ? delay_ms(rng) / 3 : delay_ms(rng)));
    killed += r.killed ? 1 : 0;
    runs_with_commits += r.committed.empty() ? 0 : 1;
    committed.insert(r.committed.begin(), r.committed.end());
  }
  EXPECT_EQ(killed, kKills);  // the writer never ends by itself: each run was cut off
  // Most runs must be cut off while writing (after some commits), or the test proves little.
  EXPECT_GE(runs_with_commits, kKills / 2);
  ASSERT_FALSE(committed.empty()) << "the writer never committed: the test would prove nothing";

  auto store = SqliteStore::open({.path = db});
  ASSERT_TRUE(store) << store.error().message;
  auto& d = store->database();
  EXPECT_EQ(*d.query_text("PRAGMA integrity_check"), "ok");
  const std::int64_t last = *committed.rbegin();
  // Ids are consecutive across runs (each run continues after the last stored id), so "every
  // committed row is there" means: exactly `last` rows up to `last`, in every table.
  EXPECT_EQ(*d.query_int("SELECT COUNT(*) FROM event WHERE t_ms <= " + std::to_string(last)), last);
  EXPECT_EQ(*d.query_int("SELECT COUNT(DISTINCT t_ms) FROM event WHERE t_ms <= " + std::to_string(last)), last);
  EXPECT_EQ(*d.query_int("SELECT COUNT(*) FROM decision WHERE t_ms <= " + std::to_string(last)), last);
  EXPECT_EQ(*d.query_int("SELECT COUNT(*) FROM history WHERE tier_s = 10 AND t_ms <= " + std::to_string(last * 10'000)),
            last);
  for (auto id : committed)
    EXPECT_EQ(*d.query_text("SELECT text FROM event WHERE t_ms = " + std::to_string(id)), std::to_string(id));
  // A batch is all or nothing: the rows beyond the last reported commit come in whole batches.
  const auto total = *d.query_int("SELECT COUNT(*) FROM event");
  EXPECT_EQ(total % 50, 0);
  std::cout << kKills << " kills, " << runs_with_commits << " of them after commits; " << committed.size()
            << " batches reported committed, " << total << " events stored\n";
  fs::remove_all(dir);
}

}  // namespace
}  // namespace emsgw::gateway::storage
