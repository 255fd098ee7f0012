// The seed's scale test for k6 users: open-loop arrivals (constant-arrival-rate), each a
// POST /sumPrime with a row of the seed's CSV (a and b as strings, as the original sent them),
// then a loop of {think; GET} until FINISHED. Set MODE=long-poll to wait with ?wait= instead.
//   k6 run -e TARGET=http://127.0.0.1:8080 -e RATE=15 -e DURATION=100s -e MODE=poll loadtest/seed-scenario.js
import http from 'k6/http';
import { check, sleep } from 'k6';
import { SharedArray } from 'k6/data';
import { Trend, Counter } from 'k6/metrics';

const target = __ENV.TARGET || 'http://127.0.0.1:8080';
const mode = __ENV.MODE || 'poll';
const think = Number(__ENV.THINK || 5);
const rows = new SharedArray('queries', () =>
  open(__ENV.PAYLOAD || '../../shared/workloads/seed-small-queries.csv')
    .split('\n').filter((line) => line.includes(',')).map((line) => line.trim().split(',')));

const endToEnd = new Trend('end_to_end', true);
const requestsPerJob = new Trend('requests_per_job');
const unfinished = new Counter('unfinished_jobs');

export const options = {
  scenarios: {
    seed: {
      executor: 'constant-arrival-rate',
      rate: Number(__ENV.RATE || 15),
      timeUnit: '1s',
      duration: __ENV.DURATION || '100s',
      preAllocatedVUs: 200,
      maxVUs: 2000,
    },
  },
};

export default function () {
  const [a, b] = rows[Math.floor(Math.random() * rows.length)];
  const started = Date.now();
  let requests = 1;
  const submitted = http.post(`${target}/sumPrime`, JSON.stringify({ a, b }), {
    headers: { 'Content-Type': 'application/json' },
  });
  check(submitted, { 'submit accepted': (r) => r.status === 202 || r.status === 200 });
  let job = submitted.json();
  while (job && job.status !== 'FINISHED' && job.status !== 'FAILED' && job.status !== 'CANCELLED') {
    if (mode === 'poll') sleep(think);
    const url = `${target}/sumPrime/${job._id}` + (mode === 'long-poll' ? '?wait=30' : '');
    const polled = http.get(url, { timeout: '60s' });
    requests += 1;
    if (polled.status !== 200) { unfinished.add(1); return; }
    job = polled.json();
  }
  if (job && job.status === 'FINISHED') {
    endToEnd.add(Date.now() - started);
    requestsPerJob.add(requests);
  } else {
    unfinished.add(1);
  }
}
