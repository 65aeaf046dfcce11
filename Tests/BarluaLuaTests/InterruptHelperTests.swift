import CBarlua
import CLua
import Foundation
import XCTest

/// The interrupt helper every blocking call uses (barlua_interrupt.h): a wait ends at once on
/// Ctrl-C, not on other signals, and times out on time; a Swift blocking call can take the
/// interrupt as words without the hook raising it a second time.
final class InterruptHelperTests: XCTestCase {
  private func seconds(_ body: () -> Void) -> Double {
    let start = Date()
    body()
    return Date().timeIntervalSince(start)
  }

  /// Sends `sig` to this (the waiting) thread after `delay` seconds.
  private func send(_ sig: Int32, after delay: Double) -> Thread {
    let target = pthread_self()
    let t = Thread {
      usleep(UInt32(delay * 1_000_000))
      pthread_kill(target, sig)
    }
    t.start()
    return t
  }

  func testSleepEndsOnCtrlCButNotOnOtherSignals() {
    barlua_interrupt_catch(nil, 1)
    defer { barlua_interrupt_release() }
    // A whole interval.
    XCTAssertGreaterThanOrEqual(seconds { XCTAssertEqual(barlua_sleep(50_000_000), 0) }, 0.05)
    // Another signal (with a handler, so it interrupts ppoll) does not shorten it.
    var usr1 = sigaction()
    usr1.__sigaction_handler.sa_handler = { _ in }
    var old = sigaction()
    sigaction(SIGUSR1, &usr1, &old)
    defer { sigaction(SIGUSR1, &old, nil) }
    _ = send(SIGUSR1, after: 0.02)
    XCTAssertGreaterThanOrEqual(seconds { XCTAssertEqual(barlua_sleep(200_000_000), 0) }, 0.2)
    XCTAssertEqual(barlua_interrupt_pending(), 0)
    // Ctrl-C ends a 10 s sleep at once, and stays pending for the caller to report.
    _ = send(SIGINT, after: 0.05)
    let took = seconds {
      XCTAssertEqual(barlua_sleep(10_000_000_000), -1)
      XCTAssertEqual(errno, EINTR)
    }
    XCTAssertLessThan(took, 2)
    XCTAssertEqual(barlua_interrupt_pending(), SIGINT)
    XCTAssertEqual(barlua_interrupt_take(), SIGINT)
    XCTAssertEqual(barlua_interrupt_pending(), 0)
  }

  func testWaitReportsReadyDescriptorsAndTimeouts() {
    barlua_interrupt_catch(nil, 1)
    defer { barlua_interrupt_release() }
    var fds: [Int32] = [0, 0]
    XCTAssertEqual(pipe(&fds), 0)
    defer {
      close(fds[0])
      close(fds[1])
    }
    var p = pollfd(fd: fds[0], events: Int16(POLLIN), revents: 0)
    XCTAssertEqual(barlua_wait(&p, 1, 20_000_000), 0)  // timed out
    XCTAssertEqual(write(fds[1], "x", 1), 1)
    XCTAssertEqual(barlua_wait(&p, 1, -1), 1)
    XCTAssertNotEqual(p.revents & Int16(POLLIN), 0)
  }

  /// A Swift blocking call takes the interrupt with barlua_interrupt_consume: it gets the words
  /// for its error, and the hook the signal set on the thread does not raise a second
  /// "interrupted!" in the cleanup code that runs next.
  func testConsumeKeepsTheHookFromRaisingTwice() throws {
    let lua = LuaHarness()
    barlua_interrupt_arm(lua.L)
    defer { barlua_interrupt_disarm() }
    pthread_kill(pthread_self(), SIGINT)
    XCTAssertEqual(barlua_interrupt_pending(), SIGINT)
    XCTAssertEqual(String(cString: barlua_interrupt_consume(lua.L)), "interrupted!")
    XCTAssertEqual(barlua_interrupt_pending(), 0)
    XCTAssertEqual(try lua.eval("local n = 0 for i = 1, 1000 do n = n + i end return n"), "500500")
  }

  /// Without consume, the hook raises at the next instruction: the interrupt is not lost.
  func testAnInterruptStopsTheNextInstruction() throws {
    let lua = LuaHarness()
    barlua_interrupt_arm(lua.L)
    defer { barlua_interrupt_disarm() }
    pthread_kill(pthread_self(), SIGTERM)
    XCTAssertEqual(lua.error("local n = 0 for i = 1, 1000 do n = n + i end return n"), "terminated (SIGTERM)")
    XCTAssertEqual(barlua_interrupt_terminated(), 1)
  }
}
