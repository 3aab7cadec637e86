const { spawn } = require('child_process');
const { loadDecodeBoundaryHook } = require('vas-frame-export/plugin');
const { FrameReader } = require('vas-frame-export');
const dir = '/dev/shm/vas-tap';
const hook = loadDecodeBoundaryHook({ AI_FRAME_EXPORT_ENABLED: '1', AI_FRAME_EXPORT_DIR: dir, AI_FRAME_WIDTH: '640', AI_FRAME_HEIGHT: '360', AI_FRAME_EXPORT_FFI: process.argv[2] || 'koffi' });
const stdio = ['ignore', 'ignore', 'inherit'];
const args = ['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=30', '-t', '3'];
const tap = hook.ffmpegOutput('cam1', stdio.length);
args.push(...tap.args); stdio.push(...tap.stdio);
console.log(args.join(' '), stdio);
const child = spawn('ffmpeg', args, { stdio });
hook.onProcessSpawned('cam1', child);
const r = FrameReader.open('cam1', { dir });
let last = 0, seen = 0;
const t = setInterval(() => { const f = r.latest(); if (f && f.meta.frameId !== last) { last = f.meta.frameId; seen++; } }, 5);
child.on('exit', (code) => {
  setTimeout(() => {
    clearInterval(t);
    console.log('exit', code, 'last', last, 'seen', seen, r.info().status, r.status());
    hook.onStreamStop('cam1');
    setTimeout(() => { console.log(r.status(), require('fs').readdirSync(dir)); hook.close(); }, 100);
  }, 300);
});
