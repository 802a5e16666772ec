// Opens N streaming chat requests to the router and holds them; prints when all have their first chunk.
import http from 'node:http';
const n = parseInt(process.argv[2] || '9000');
const agent = new http.Agent({keepAlive: false, maxSockets: Infinity});
let first = 0, failed = 0, ended = 0, errs = 0;
const body = JSON.stringify({model: 'idle', stream: true, messages: [{role: 'user', content: 'hello'}]});
function open(i) {
  const req = http.request({host: '127.0.0.1', port: 8080, path: '/v1/chat/completions', method: 'POST', agent,
    headers: {'content-type': 'application/json', 'content-length': Buffer.byteLength(body)}}, res => {
    let got = false;
    res.on('data', d => { if (!got) { got = true; first++; if (first === n) console.log('ALL', n, 'streams have their first chunk'); } if (String(d).includes('error')) { errs++; if (errs < 3) console.log('error event', String(d).slice(0, 300)); } });
    res.on('end', () => ended++);
  });
  req.on('error', e => { failed++; if (failed < 5) console.log('error', e.message); });
  req.end(body);
}
let i = 0;
const t = setInterval(() => { for (let k = 0; k < 100 && i < n; k++) open(i++); if (i >= n) clearInterval(t); }, 20);
setInterval(() => console.log('client first', first, 'failed', failed, 'ended', ended, 'error events', errs), 5000);
