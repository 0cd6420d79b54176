// signal_set: a signal raised in the process reaches the awaiting task, on every driver.
#include "support.hpp"

#include <csignal>

using namespace corio_test;
using corio::task;

BOOST_FIXTURE_TEST_SUITE(core_signal, runtime_fixture)

BOOST_AUTO_TEST_CASE(signal_reaches_the_waiting_task) {
  auto body = []() -> task<void> {
    auto set = corio::signal_set::create({SIGUSR1, SIGUSR2});
    BOOST_REQUIRE(set.has_value());
    auto waiter = corio::spawn(set->wait());
    co_await corio::sleep_for(10ms);  // the wait is parked on the signalfd
    ::kill(::getpid(), SIGUSR2);
    auto r = co_await corio::timeout(5s, std::move(waiter));
    BOOST_REQUIRE(r.has_value());
    BOOST_REQUIRE(r->has_value());
    BOOST_CHECK_EQUAL(**r, SIGUSR2);
    ::kill(::getpid(), SIGUSR1);  // already pending: read at once
    auto again = co_await set->wait();
    BOOST_REQUIRE(again.has_value());
    BOOST_CHECK_EQUAL(*again, SIGUSR1);
  };
  rt.block_on(body());
}

BOOST_AUTO_TEST_CASE(bad_signal_numbers_are_rejected) {
  auto body = []() -> task<void> {
    auto set = corio::signal_set::create({0});
    BOOST_CHECK(!set && set.error() == corio::errc::invalid_argument);
    co_return;
  };
  rt.block_on(body());
}

BOOST_AUTO_TEST_SUITE_END()
