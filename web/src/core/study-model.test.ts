import { describe, expect, it } from 'vitest';
import { noImagesMessage } from './study-model';

const sr = (title?: string) => ({
  '00080060': { vr: 'CS', Value: ['SR'] },
  '00080016': { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.88.33'] },
  ...(title ? { '0040A043': { vr: 'SQ', Value: [{ '00080104': { vr: 'LO', Value: [title] } }] } } : {}),
});

describe('noImagesMessage', () => {
  it('names the structured reports a study without images holds', () => {
    expect(noImagesMessage([sr('Adult Echocardiography Procedure Report'), sr('Adult Echocardiography Procedure Report'), sr()])).toBe(
      'This study holds no images, only 3 structured reports: Adult Echocardiography Procedure Report.',
    );
    expect(noImagesMessage([sr()])).toBe('This study holds no images, only 1 structured report.');
  });
  it('says a study without instances is empty', () => {
    expect(noImagesMessage([])).toBe('This study has no instances.');
  });
});
