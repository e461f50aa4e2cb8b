// Threads with a large stack, for work that recurses as deep as its input:
// DCMTK parses nested sequences recursively, and real (or hostile) files nest
// 100,000 levels deep. The stack is reserved, not committed: unused pages cost
// nothing.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>

namespace systole {

inline constexpr std::size_t kDeepStackBytes = std::size_t{1} << 30;  // 1 GiB reserved

class DeepStackThread {
 public:
  DeepStackThread() = default;
  // Starts `body` on a new thread with `stack_bytes` of stack. Aborts if the
  // thread cannot be created (out of resources at start-up is not recoverable).
  explicit DeepStackThread(std::function<void()> body, std::size_t stack_bytes = kDeepStackBytes);
  DeepStackThread(DeepStackThread&& other) noexcept;
  DeepStackThread& operator=(DeepStackThread&& other) noexcept;
  ~DeepStackThread();  // joins if still joinable

  bool joinable() const { return started_; }
  void join();
  // Lets the thread run on its own; its stack is released when it ends. The
  // caller must know by other means when it is done.
  void detach();

 private:
  unsigned long handle_ = 0;
  bool started_ = false;
};

}  // namespace systole
