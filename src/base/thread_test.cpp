#include "base/thread.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace systole {
namespace {

// ~300 bytes of stack per level: 200,000 levels need ~60 MB, far beyond the
// default 8 MB thread stack — as deep as DCMTK goes on a hostile nested file.
__attribute__((noinline)) std::size_t Recurse(std::size_t depth) {
  volatile char frame[256];
  frame[0] = static_cast<char>(depth);
  if (depth == 0) return frame[0];
  return Recurse(depth - 1) + frame[0] * 0 + 1;
}

TEST(DeepStackThreadTest, RunsDeepRecursionThatWouldOverflowADefaultStack) {
  std::size_t result = 0;
  DeepStackThread thread([&] { result = Recurse(200000); });
  thread.join();
  EXPECT_EQ(result, 200000u);
}

TEST(DeepStackThreadTest, DetachedThreadsRunToCompletion) {
  std::atomic<int> done{0};
  for (int i = 0; i < 50; ++i) DeepStackThread([&] { ++done; }).detach();
  for (int wait = 0; wait < 500 && done < 50; ++wait) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  EXPECT_EQ(done, 50);
}

}  // namespace
}  // namespace systole
