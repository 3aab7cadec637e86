import { expect } from 'chai';
import { CONFIG_DEFAULTS, parseFrameExportConfig } from '../../src/config/frame-export-config';
import { cameraIdProblem } from '../../src/config/camera-id';

describe('config: parseFrameExportConfig', () => {
  it('is disabled by default and for false/0 in any case', () => {
    for (const value of [undefined, '', 'false', 'FALSE', 'False', '0', ' 0 ']) {
      const env = value === undefined ? {} : { AI_FRAME_EXPORT_ENABLED: value };
      expect(parseFrameExportConfig(env), String(value)).to.deep.equal({ kind: 'disabled', warning: null });
    }
  });

  it('accepts true/1 in any case with documented defaults', () => {
    for (const value of ['true', 'TRUE', 'True', '1']) {
      const result = parseFrameExportConfig({ AI_FRAME_EXPORT_ENABLED: value });
      expect(result.kind).to.equal('enabled');
      if (result.kind !== 'enabled') return;
      expect(result.config).to.deep.include({
        slotCount: CONFIG_DEFAULTS.slotCount, width: CONFIG_DEFAULTS.width, height: CONFIG_DEFAULTS.height,
        exportDir: '/dev/shm/vas', ffi: 'koffi', group: null, ffmpeg: 'ffmpeg', colorMatrix: 'bt709',
      });
    }
  });

  it('warns once, naming the value, and stays off for anything else', () => {
    const result = parseFrameExportConfig({ AI_FRAME_EXPORT_ENABLED: 'yes' });
    expect(result.kind).to.equal('disabled');
    if (result.kind !== 'disabled') return;
    expect(result.warning).to.contain('"yes"').and.contain('true/false/1/0').and.contain('off');
  });

  const invalid: Array<[string, string, string]> = [
    ['AI_FRAME_BUFFER_CAPACITY', '1', 'from 2 to 64'],
    ['AI_FRAME_BUFFER_CAPACITY', '65', 'from 2 to 64'],
    ['AI_FRAME_BUFFER_CAPACITY', 'four', 'from 2 to 64'],
    ['AI_FRAME_BUFFER_CAPACITY', '4.5', 'from 2 to 64'],
    ['AI_FRAME_WIDTH', '641', 'even integer'],
    ['AI_FRAME_WIDTH', '8', 'from 16 to 7680'],
    ['AI_FRAME_HEIGHT', '-2', 'even integer'],
    ['AI_FRAME_HEIGHT', '99999', 'from 16 to 4320'],
    ['AI_FRAME_EXPORT_DIR', 'relative/dir', 'absolute path'],
    ['AI_FRAME_EXPORT_DIR', '/dev/shm/../etc', 'absolute path'],
    ['AI_FRAME_EXPORT_FFI', 'ffi-napi', 'koffi (default) or ffi-rs'],
    ['AI_FRAME_EXPORT_GROUP', 'bad group', 'group name'],
    ['AI_FRAME_EXPORT_FFMPEG', 'bin/ffmpeg', 'absolute path'],
    ['AI_FRAME_COLOR_MATRIX', 'bt2020', 'bt709 (default) or bt601'],
  ];
  for (const [name, value, accepted] of invalid) {
    it(`rejects ${name}=${JSON.stringify(value)} with a line naming variable, value and what is accepted`, () => {
      const result = parseFrameExportConfig({ AI_FRAME_EXPORT_ENABLED: 'true', [name]: value });
      expect(result.kind).to.equal('invalid');
      if (result.kind !== 'invalid') return;
      expect(result.error).to.contain(name).and.contain(JSON.stringify(value)).and.contain(accepted);
      expect(result.error).not.to.contain('\n');
    });
  }

  it('reads every variable', () => {
    const result = parseFrameExportConfig({
      AI_FRAME_EXPORT_ENABLED: '1', AI_FRAME_BUFFER_CAPACITY: '8', AI_FRAME_WIDTH: '640', AI_FRAME_HEIGHT: '360',
      AI_FRAME_EXPORT_DIR: '/tmp/x', AI_FRAME_EXPORT_FFI: 'FFI-RS', AI_FRAME_EXPORT_GROUP: 'video',
      AI_FRAME_EXPORT_FFMPEG: '/opt/ffmpeg/bin/ffmpeg', AI_FRAME_COLOR_MATRIX: 'BT601',
    });
    expect(result).to.deep.equal({
      kind: 'enabled',
      config: {
        enabled: true, slotCount: 8, width: 640, height: 360, exportDir: '/tmp/x', ffi: 'ffi-rs', group: 'video',
        ffmpeg: '/opt/ffmpeg/bin/ffmpeg', colorMatrix: 'bt601',
      },
    });
  });
});

describe('config: camera ids', () => {
  it('accepts the documented pattern', () => {
    for (const id of ['cam1', 'A', 'front-door_2', 'cam.01', 'x'.repeat(64)]) expect(cameraIdProblem(id), id).to.equal(null);
  });
  it('rejects path tricks, control characters, leading dots and long ids', () => {
    for (const id of ['', '.', '..', '.hidden', 'a/b', '../x', 'a..b', 'a\0b', 'a\nb', ' a', 'a b', '-a', 'x'.repeat(65), 'caméra']) {
      expect(cameraIdProblem(id), JSON.stringify(id)).to.be.a('string').and.contain('not accepted');
    }
    expect(cameraIdProblem(42)).to.contain('must be a string');
  });
});
