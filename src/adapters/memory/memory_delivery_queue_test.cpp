#include "adapters/memory/memory_delivery_queue.h"

#include "adapters/delivery_queue_contract_test.h"

namespace systole::adapters::contract {
namespace {

std::shared_ptr<ports::DeliveryQueue> MakeMemory() { return std::make_shared<MemoryDeliveryQueue>(); }

INSTANTIATE_TEST_SUITE_P(Memory, DeliveryQueueContractTest, ::testing::Values(&MakeMemory));

}  // namespace
}  // namespace systole::adapters::contract
