import type { PgMigration } from './migrate.js';

// The agent console's sessions and canned replies on PostgreSQL (range 50–69, these 60–61),
// the same tables as SQLite's m006 and m007; their stores are src/store/pg/sessions.ts
// and replies.ts. Attachments come later (75, console-data-migrations.ts): they reference the
// relay's conversations.
export const CONSOLE_SESSIONS_PG_MIGRATIONS: readonly PgMigration[] = [
  {
    id: 60,
    name: 'refresh_sessions',
    sql: `ALTER TABLE users ADD COLUMN disabled boolean NOT NULL DEFAULT false;
          CREATE TABLE refresh_sessions (
            id text PRIMARY KEY,
            user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            session_key text NOT NULL,
            secret_hash text NOT NULL,
            generation integer NOT NULL DEFAULT 0,
            created_at bigint NOT NULL,
            used_at bigint NOT NULL,
            expires_at bigint NOT NULL,
            revoked_at bigint,
            revoked_why text
          );
          CREATE INDEX refresh_sessions_user ON refresh_sessions (user_id);`,
  },
  {
    id: 61,
    name: 'canned_replies',
    sql: `CREATE TABLE canned_replies (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            shortcut text NOT NULL UNIQUE CHECK (shortcut = lower(shortcut)),
            title text NOT NULL,
            body text NOT NULL,
            created_at bigint NOT NULL,
            created_by text NOT NULL
          );
          INSERT INTO canned_replies (shortcut, title, body, created_at, created_by) VALUES
            ('panne', 'Panne en cours', 'Bonjour, nous avons identifié un incident sur le réseau de votre secteur. Nos équipes sont mobilisées pour rétablir le service au plus vite et nous vous tiendrons informé de son évolution. Merci de votre patience.', 0, 'fmc'),
            ('redemarrage', 'Redémarrer la Freebox', 'Pouvez-vous débrancher votre Freebox de la prise électrique pendant 30 secondes, puis la rebrancher ? Attendez que l''afficheur indique l''heure, puis dites-moi si le problème persiste.', 0, 'fmc'),
            ('technicien', 'Rendez-vous technicien', 'Je vous propose l''intervention d''un technicien à votre domicile. Pouvez-vous m''indiquer vos disponibilités (jour, et matin ou après-midi) ? Le technicien vous appellera avant son passage.', 0, 'fmc'),
            ('facture', 'Question de facturation', 'Je comprends votre question sur votre facture. Pouvez-vous me préciser le mois concerné et le montant qui vous semble incorrect ? Le détail de vos factures est aussi dans votre Espace Abonné.', 0, 'fmc'),
            ('retour', 'Retour d''équipement', 'Pour le retour de votre équipement, imprimez l''étiquette prépayée depuis votre Espace Abonné et déposez le colis en point relais sous 30 jours, avec tous les câbles et la télécommande.', 0, 'fmc'),
            ('cloture', 'Clôture', 'Merci pour votre message. Je reste à votre disposition si vous avez d''autres questions. Bonne journée !', 0, 'fmc');`,
  },
];
