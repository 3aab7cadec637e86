const { loadDecodeBoundaryHook } = require('vas-frame-export/plugin');
const { FrameReader } = require('vas-frame-export');
const dir = '/dev/shm/vas-smoke';
const hook = loadDecodeBoundaryHook({ AI_FRAME_EXPORT_ENABLED: 'TRUE', AI_FRAME_EXPORT_DIR: dir, AI_FRAME_WIDTH: '64', AI_FRAME_HEIGHT: '32', AI_FRAME_EXPORT_FFI: process.argv[2] || 'koffi' });
hook.onStreamStart('cam1', { width: 64, height: 32 });
const f = new Uint8Array(64 * 48);
for (let i = 0; i < 10; i++) { f.fill(i); hook.onFrame('cam1', f); }
hook.onFrame('cam1', new Uint8Array(5));
hook.onFrame('nope', f);
const r = FrameReader.open('cam1', { dir });
console.log(r.status(), r.latest().meta, r.info().status);
console.log(require('child_process').execSync(`ls -la ${dir} ${dir}/cam1`).toString());
hook.onStreamStop('cam1');
console.log(r.status(), require('fs').readdirSync(dir));
hook.onStreamStart('cam1', { width: 64, height: 32 });
hook.onFrame('cam1', f);
console.log(r.status(), r.status(), r.latest()?.meta.frameId);
hook.close();
