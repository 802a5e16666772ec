// An upstream whose streams send one chunk, then stay open and idle.
import http from 'node:http';
let open = 0;
http.createServer((req, res) => {
  let body = '';
  req.on('data', d => body += d);
  req.on('end', () => {
    res.writeHead(200, {'content-type': 'text/event-stream'});
    res.write('data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"hi"}}]}\n\n');
    open++;
    res.on('close', () => open--);
  });
}).listen({port: 9998, host: '127.0.0.1', backlog: 16384});
setInterval(() => console.log('upstream open', open), 5000);
