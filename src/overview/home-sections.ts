import { errorFields } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Block } from '../out/views/session-row.js';

/** Who the Home tab is being built for. */
export interface HomeViewer {
  teamId: string;
  userId: string;
}

/**
 * One of the Home tab's sections besides the sessions (the user's usage; the Admin section, which
 * shows itself only to workspace admins). Returns its blocks, or none. Built afresh on every publish.
 */
export interface HomeSection {
  /** Under the header, or after the sessions. */
  place: 'top' | 'bottom';
  build(viewer: HomeViewer): Promise<Block[]>;
}

/**
 * The sections' blocks for one viewer, in order. A section that fails is left out and logged: the
 * rest of the tab is still published.
 */
export const buildSections = async (
  sections: readonly HomeSection[],
  viewer: HomeViewer,
  logger: Logger,
): Promise<{ top: Block[]; bottom: Block[] }> => {
  const built = await Promise.all(
    sections.map((s) =>
      s.build(viewer).then(
        (blocks) => ({ place: s.place, blocks }),
        (err: unknown) => {
          logger.warn({ userId: viewer.userId, err: errorFields(err) }, 'home section failed; left out');
          return { place: s.place, blocks: [] as Block[] };
        },
      ),
    ),
  );
  const of = (place: HomeSection['place']) => built.filter((b) => b.place === place).flatMap((b) => b.blocks);
  return { top: of('top'), bottom: of('bottom') };
};
