// Clock: the only way Systole code reads the time, so tests can use a fake one.
#pragma once

#include <chrono>
#include <cstdint>

namespace systole {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time (UTC).
  virtual std::chrono::system_clock::time_point Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  std::chrono::system_clock::time_point Now() const override { return std::chrono::system_clock::now(); }
};

class FakeClock final : public Clock {
 public:
  explicit FakeClock(std::chrono::system_clock::time_point start) : now_(start) {}
  std::chrono::system_clock::time_point Now() const override { return now_; }
  void Advance(std::chrono::milliseconds by) { now_ += by; }

 private:
  std::chrono::system_clock::time_point now_;
};

}  // namespace systole
