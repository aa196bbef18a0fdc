/** Small facts about the database: which chain and contract it follows, how far the watcher has read. */
export interface MetaStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
}
