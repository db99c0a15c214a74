// Waiting for a machine's sshd, whichever backend made the machine.
import net from "node:net";
import { Probing, waitUntil } from "../../wait";

/** Waits until host:port accepts a TCP connection; until then each refusal is what the wait saw. */
export async function waitForPort(host: string, port: number, timeoutMs: number): Promise<void> {
  const answers = (ask: Probing) => connectOnce(host, port, ask.remainingMs);
  await waitUntil(`${host}:${port} answering`, { timeoutMs, pacingMs: 200, errors: "retry" }, answers);
}

/** One TCP connection, closed at once; none outlasts the wait (an address that drops packets never refuses). */
function connectOnce(host: string, port: number, timeoutMs: number): Promise<true> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, timeout: Math.max(1_000, timeoutMs) });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("timeout", () => {
      socket.destroy();
      reject(new Error(`connect to ${host}:${port} timed out`));
    });
    socket.once("error", (err) => {
      socket.destroy();
      reject(err);
    });
  });
}
