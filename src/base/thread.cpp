#include "base/thread.h"

#include <pthread.h>

#include <cstdio>
#include <cstdlib>
#include <utility>

namespace systole {
namespace {

void* Trampoline(void* arg) {
  std::unique_ptr<std::function<void()>> body(static_cast<std::function<void()>*>(arg));
  (*body)();
  return nullptr;
}

}  // namespace

DeepStackThread::DeepStackThread(std::function<void()> body, std::size_t stack_bytes) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, stack_bytes);
  auto* heap_body = new std::function<void()>(std::move(body));
  pthread_t thread;
  int rc = pthread_create(&thread, &attr, &Trampoline, heap_body);
  pthread_attr_destroy(&attr);
  if (rc != 0) {
    std::fprintf(stderr, "cannot start thread (error %d)\n", rc);
    std::abort();
  }
  handle_ = thread;
  started_ = true;
}

DeepStackThread::DeepStackThread(DeepStackThread&& other) noexcept
    : handle_(other.handle_), started_(std::exchange(other.started_, false)) {}

DeepStackThread& DeepStackThread::operator=(DeepStackThread&& other) noexcept {
  if (this != &other) {
    if (started_) join();
    handle_ = other.handle_;
    started_ = std::exchange(other.started_, false);
  }
  return *this;
}

DeepStackThread::~DeepStackThread() {
  if (started_) join();
}

void DeepStackThread::detach() {
  if (!started_) return;
  pthread_detach(static_cast<pthread_t>(handle_));
  started_ = false;
}

void DeepStackThread::join() {
  if (!started_) return;
  pthread_join(static_cast<pthread_t>(handle_), nullptr);
  started_ = false;
}

}  // namespace systole
